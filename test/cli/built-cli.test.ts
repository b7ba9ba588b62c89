/**
 * The built CLI (dist/, from `npm run build`, which `npm test` and `npm ci` run): help without loading commands,
 * aggregate on fixture annotations, and a short run with given outputs against the fake OpenAI judge.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../bin/commands/registry.ts';
import { synthLocalDefinition } from '../../infra/local/definition.ts';
import { BUILT_DEFINITION_FILE, type LocalDefinition } from '../../infra/local/load-definition.ts';
import { runAep } from '../support/cli.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, missingFixtures, missingMessage, readFixtureJson, readFixtureText, repoRoot } from '../support/fixtures.ts';
import { FIXTURES } from '../workflow/harness.ts';

const BUILT = existsSync(join(repoRoot, 'dist', 'cli.js'));
if (!BUILT) console.warn('[skip] built CLI tests: dist/cli.js is missing (npm run build)');
const NEEDED = [...FIXTURES, 'annotations/FuseChat-Llama-3.2-1B-Instruct.annotations.json.gz', 'outputs/FuseChat-Llama-3.2-1B-Instruct.model_outputs.json.gz',
  'standin/instruction_difficulty.csv', 'golden/FuseChat-Llama-3.2-1B-Instruct.json', 'outputs/gemma-2b-it.model_outputs.json.gz'];
const missing = missingFixtures(...NEEDED);
if (missing.length) console.warn(`[skip] built CLI tests: ${missingMessage(missing)}`);
const built = (args: string[], env: Record<string, string> = {}) => runAep(args, { env: { AEP_FROM_SOURCE: '0', ...env } });

let dir: string;
let judge: FakeOpenAI;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aep-built-'));
  judge = await startFakeOpenAI();
});
afterAll(async () => {
  await judge?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Environment for a child process that writes the npm packages it loaded (CommonJS) to `file` at exit. */
function recordLoadedPackages(file: string): Record<string, string> {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(repoRoot, 'test', 'support', 'loaded-packages.cjs')}`.trim(), AEP_LOADED_PACKAGES_FILE: file };
}

describe('the loaded-packages probe', () => {
  it('sees aws-cdk-lib when a process loads it', async () => {
    const file = join(dir, 'probe.txt');
    const r = await new Promise<number | null>((done) => {
      spawn(process.execPath, ['--input-type=module', '-e', "await import('aws-cdk-lib')"], { env: { ...process.env, ...recordLoadedPackages(file) }, stdio: 'ignore' })
        .on('close', done);
    });
    expect(r).toBe(0);
    expect((await readFile(file, 'utf8')).split('\n')).toContain('aws-cdk-lib');
  }, 60_000);
});

describe.skipIf(!BUILT)('built state machine definition', () => {
  it('is the definition the stack synthesises in-process', async () => {
    const built = JSON.parse(await readFile(join(repoRoot, 'dist', BUILT_DEFINITION_FILE), 'utf8')) as LocalDefinition;
    expect(built).toEqual(JSON.parse(JSON.stringify(synthLocalDefinition())));
  }, 60_000);
});

describe.skipIf(!BUILT)('built CLI', () => {
  it('lists every command with its summary, and each summary is the loaded command\'s description', async () => {
    const r = await built(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const c of COMMANDS) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${c.name}\\b`));
      expect((await c.load()).description()).toBe(c.summary);
    }
    const sub = await built(['help', 'aggregate']);
    expect(sub.stdout).toContain('Usage: aep aggregate [options]');
    expect(sub.stdout).toContain('--annotations <file>');
  });

  it.skipIf(missing.length > 0)('aggregates fixture annotations to the golden metrics', async () => {
    const out = join(dir, 'agg');
    const a = await built(['aggregate', '--annotations', fixturePath(NEEDED[FIXTURES.length]!)!, '--model-outputs', fixturePath(NEEDED[FIXTURES.length + 1]!)!,
      '--gamed', fixturePath('standin/df_gamed.csv')!, '--instruction-difficulty', fixturePath('standin/instruction_difficulty.csv')!,
      '--leaderboard', fixturePath('leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv')!, '--out', out, '--json', '--cache-dir', join(dir, 'cache')]);
    expect(a.code, a.stderr).toBe(0);
    const m = JSON.parse(a.stdout) as Record<string, number>;
    const g = readFixtureJson<{ metrics: Record<string, number> }>('golden/FuseChat-Llama-3.2-1B-Instruct.json').metrics;
    expect(Math.abs(m.length_controlled_winrate! - g.length_controlled_winrate!)).toBeLessThan(1e-9 * Math.abs(g.length_controlled_winrate!));
    expect(Math.abs(m.win_rate! - g.win_rate!)).toBeLessThan(1e-9 * Math.abs(g.win_rate!));
  }, 120_000);

  it.skipIf(missing.length > 0)('runs a short evaluation with given outputs against the fake judge', async () => {
    const outputs = join(dir, 'model_outputs.json');
    await writeFile(outputs, readFixtureText('outputs/gemma-2b-it.model_outputs.json.gz'));
    const assets = ['--eval-set', fixturePath(FIXTURES[0]!)!, '--judge-template', fixturePath(FIXTURES[1]!)!, '--gamed', fixturePath(FIXTURES[2]!)!,
      '--instruction-difficulty', fixturePath(FIXTURES[3]!)!, '--leaderboard', fixturePath(FIXTURES[4]!)!];
    const store = join(dir, 'results');
    const loaded = join(dir, 'loaded-packages.txt');
    const r = await built(['run', '--model', 'org/gemma-test', '--name', 'gemma-test', '--model-outputs', outputs, '--judge-base-url', judge.baseUrl, '--max-instances', '20',
      '--out', store, '--cache-dir', join(dir, 'cache'), ...assets], { OPENAI_API_KEY: 'sk-test', ...recordLoadedPackages(loaded) });
    expect(r.code, r.stderr).toBe(0);
    // the state machine definition came from the build: the local workflow ran without loading the CDK
    const packages = (await readFile(loaded, 'utf8')).split('\n');
    expect(packages).toContain('@aws-sdk/client-s3'); // the probe saw the run's CommonJS packages
    expect(packages.filter((p) => /^(aws-cdk-lib|constructs|cdk-nag)$/.test(p))).toEqual([]);
    const runId = /run (gemma-test-\S+)\)/.exec(r.stdout)![1]!;
    const metrics = JSON.parse(await readFile(join(store, 'runs', runId, 'metrics.json'), 'utf8')) as { n_total: number };
    expect(metrics.n_total).toBe(20);
  }, 180_000);
});
