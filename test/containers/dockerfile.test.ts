import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTFILE } from '../../containers/generator/build.ts';
import { JUDGE_JOB_COMMAND } from '../../infra/constructs/generation-batch.ts';
import { repoRoot } from '../support/fixtures.ts';
import { copiedSources, lintDockerfile, parseDockerfile } from './dockerfile-lint.ts';

const dir = join(repoRoot, 'containers', 'generator');
const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
const FINAL_BASE = /^vllm\/vllm-openai:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/;

describe('containers/generator/Dockerfile', () => {
  it('keeps the image rules: pinned bases, non-root user, exec-form entrypoint, no secrets', () => {
    expect(lintDockerfile(dockerfile, { finalBase: FINAL_BASE })).toEqual([]);
  });

  it('bundles with build.ts from the repository-root context and runs that bundle', () => {
    const ins = parseDockerfile(dockerfile);
    expect(ins.filter((i) => i.keyword === 'RUN').map((i) => i.args)).toContain('npx tsx containers/generator/build.ts');
    expect(relative(repoRoot, DEFAULT_OUTFILE)).toBe('containers/generator/dist/entrypoint.mjs');
    expect(ins.some((i) => i.keyword === 'COPY' && i.args === '--from=build /src/containers/generator/dist/ /opt/aep/')).toBe(true);
    for (const source of copiedSources(dockerfile)) expect(existsSync(join(repoRoot, source)), source).toBe(true);
    const entry = ins.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!;
    const cmd = ins.filter((i) => i.keyword === 'CMD').at(-1)!;
    expect([...JSON.parse(entry.args), ...JSON.parse(cmd.args)]).toEqual(['node', '--enable-source-maps', '/opt/aep/entrypoint.mjs']);
    // the judge job's bundle, which its job definition runs as the command (infra/constructs/generation-batch.ts)
    expect(ins.filter((i) => i.keyword === 'RUN').map((i) => i.args)).toContain('npx tsx containers/judge/build.ts');
    expect(ins.some((i) => i.keyword === 'COPY' && i.args === `--from=build /src/containers/judge/dist/ ${dirname(JUDGE_JOB_COMMAND[0]!)}/`)).toBe(true);
  });

  it('keeps the build context small', () => {
    const ignore = readFileSync(join(dir, 'Dockerfile.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*$/m);
    for (const kept of ['!package-lock.json', '!lambdas', '!containers/generator', '!containers/judge']) expect(ignore.split('\n')).toContain(kept);
  });

  it('copies nothing from the build context into the final stage', () => {
    const ins = parseDockerfile(dockerfile);
    const finalStage = ins.slice(ins.findLastIndex((i) => i.keyword === 'FROM'));
    expect(finalStage.filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.args.startsWith('--from='))).toEqual([]);
  });

  it('installs no secret-bearing variable and leaves HF_TOKEN to the job', () => {
    expect(dockerfile).not.toMatch(/HF_TOKEN|HUGGING_FACE_HUB_TOKEN|AWS_SECRET/);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
  });
});

describe('lintDockerfile', () => {
  const good = 'FROM node:20.1.0-slim AS node\nFROM vllm/vllm-openai:v0.11.0\nCOPY --from=node /a /b\nUSER app\nENTRYPOINT ["node", "x.mjs"]\n';
  const lint = (text: string) => lintDockerfile(text, { finalBase: FINAL_BASE });

  it('accepts a compliant file', () => {
    expect(lint(good)).toEqual([]);
  });

  it.each([
    ['an untagged base', good.replace('node:20.1.0-slim', 'debian'), /has no tag/],
    ['a latest base', good.replace('v0.11.0', 'latest'), /uses latest|final stage is not/],
    ['another final base', good.replace('vllm/vllm-openai:v0.11.0', 'ubuntu:22.04'), /final stage is not/],
    ['no USER', good.replace('USER app\n', ''), /sets no USER/],
    ['USER root', good.replace('USER app', 'USER root'), /is root/],
    ['RUN after USER', good.replace('USER app\n', 'USER app\nRUN id\n'), /RUN after the last USER/],
    ['shell-form ENTRYPOINT', good.replace('["node", "x.mjs"]', 'node x.mjs'), /not in exec form/],
    ['a token in ENV', good.replace('USER app', 'ENV HF_TOKEN=hf_x \\\n    OTHER=1\nUSER app'), /ENV HF_TOKEN looks like a secret/],
    ['ADD from a URL', good.replace('USER app', 'ADD https://example.com/x /x\nUSER app'), /ADD from a URL/],
  ])('reports %s', (_name, text, problem) => {
    expect(lint(text).join('\n')).toMatch(problem);
  });
});
