import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTFILE } from '../../containers/generator/build.ts';
import { repoRoot } from '../support/fixtures.ts';
import { copiedSources, lintDockerfile, parseDockerfile } from './dockerfile-lint.ts';

const dir = join(repoRoot, 'containers', 'generator');
const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
const FINAL_BASE = /^vllm\/vllm-openai:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/;

describe('containers/generator/Dockerfile', () => {
  it('keeps the image rules: pinned bases, non-root user, exec-form entrypoint, no secrets', () => {
    expect(lintDockerfile(dockerfile, { finalBase: FINAL_BASE })).toEqual([]);
  });

  it('runs the bundle that build.ts writes, and copies only it from the context', () => {
    const bundle = relative(dir, DEFAULT_OUTFILE);
    expect(bundle).toBe('dist/entrypoint.mjs');
    expect(copiedSources(dockerfile)).toEqual(['dist/']);
    const entry = parseDockerfile(dockerfile).filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!;
    expect(JSON.parse(entry.args)).toEqual(['node', '--enable-source-maps', '/opt/aep/entrypoint.mjs']);
    expect(readFileSync(join(dir, '.dockerignore'), 'utf8')).toMatch(/^\*$[\s\S]*^!dist\/$/m);
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
