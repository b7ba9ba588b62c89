import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { legacyPermutation } from '../../lambdas/core/eval-set/max-instances.ts';
import { envWithPath, installVllmStandin, TSX_LOADER } from '../containers/standin.ts';
import { startFakeEngine, type FakeEngine, type FakeEngineOptions } from '../support/fake-engine.ts';
import { needFixtures, repoRoot } from '../support/fixtures.ts';
import { freePort } from '../support/moto.ts';

const EVAL_SET = 'reference/gpt4_1106_preview.model_outputs.json';
let harness: string;
let work: string;
let syntheticEvalSet: string;
let engine: FakeEngine | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aep-cli-gen-'));
  harness = join(work, 'harness.mjs');
  await writeFile(harness, `import { generateCommand } from ${JSON.stringify(join(repoRoot, 'bin/commands/generate.ts'))};\n` +
    'await generateCommand().parseAsync(process.argv);\n');
  syntheticEvalSet = join(work, 'eval.json');
  await writeFile(syntheticEvalSet, JSON.stringify(Array.from({ length: 40 }, (_, i) => ({
    dataset: 'synthetic', instruction: `Synthetic instruction ${i}`, output: `reference ${i}`, generator: 'ref' }))));
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs `aep generate` (the command module) in a child process. */
function generate(args: string[], { env = process.env, onStart }: {
  env?: Record<string, string | undefined>;
  onStart?: (pid: number) => void;
} = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, harness, ...args], { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    onStart?.(child.pid!);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function fake(options: FakeEngineOptions = {}): Promise<FakeEngine> {
  engine = await startFakeEngine({ capacityTokensPerSecond: 1_000_000, perTokenLatencyMs: 0.001, ...options });
  return engine;
}

const outDir = () => mkdtemp(join(work, 'out-'));
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('aep generate', () => {
  it('prints help with every flag of the contract', async () => {
    const r = await generate(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--generator-base-url', '--engine', '--prompt-template', '--max-new-tokens', '--temperature',
      '--top-p', '--seed', '--concurrency', '--eval-set', '--max-instances', '--name', '--out']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('writes DIR/model_outputs.json with the requested decoding parameters', async (ctx) => {
    const [evalSet] = needFixtures(ctx, EVAL_SET);
    const e = await fake();
    const out = await outDir();
    const r = await generate(['--model', 'fake-model', '--generator-base-url', e.baseUrl, '--eval-set', evalSet!, '--max-instances', '6',
      '--max-new-tokens', '40', '--temperature', '0.2', '--top-p', '0.5', '--seed', '11', '--concurrency', '2', '--name', 'my-gen', '--out', out]);
    expect(r.stderr).not.toMatch(/aep generate:/);
    expect(r.code).toBe(0);
    const rows = readJson(join(out, 'model_outputs.json')) as Record<string, string>[];
    const reference = readJson(evalSet!) as { instruction: string }[];
    expect(rows.map((x) => x.instruction)).toEqual(legacyPermutation(805).slice(0, 6).sort((a, b) => a - b).map((i) => reference[i]!.instruction));
    expect(rows.every((x) => x.generator === 'my-gen' && x.output!.length > 0)).toBe(true);
    expect(e.requests.every((q) => q.body.max_tokens === 40 && q.body.temperature === 0.2 && q.body.top_p === 0.5 && q.body.seed === 11)).toBe(true);
    expect(readJson(join(out, 'generation.json'))).toMatchObject({ status: 'succeeded', concurrency: 2, generator: 'my-gen' });
    expect(r.stdout).toMatch(/model_outputs\.json: 6 rows, \d+ tokens, \d+ at the token limit, prompt mode chat\n$/);
    expect(r.stderr).toMatch(/generate 6\/6 rows \(100%\)/);
  });

  it('sends a prompt template to /v1/completions', async () => {
    const e = await fake();
    const out = await outDir();
    const template = join(work, 'hh.txt');
    await writeFile(template, '\n\nHuman: {instruction}\n\nAssistant:');
    const r = await generate(['--model', 'fake-model', '--generator-base-url', e.baseUrl, '--eval-set', syntheticEvalSet,
      '--prompt-template', template, '--max-instances', '3', '--out', out]);
    expect(r.code).toBe(0);
    expect(e.requests.map((q) => q.path)).toEqual(Array(3).fill('/v1/completions'));
    expect(e.requests[0]!.prompt).toMatch(/^\n\nHuman: Synthetic instruction \d+\n\nAssistant:$/);
  });

  it.each([
    [[], /give exactly one of --generator-base-url URL .* or --engine vllm/],
    [['--generator-base-url', 'CLOSED', '--engine', 'vllm'], /give exactly one of/],
    [['--generator-base-url', 'CLOSED', '--top-p', '1.5'], /option '--top-p <p>' argument '1.5' is invalid/],
    [['--generator-base-url', 'CLOSED'], /cannot reach the engine at http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED/],
    [['--generator-base-url', 'CLOSED', '--prompt-template', '/no/such/template.txt'], /\/no\/such\/template\.txt: cannot read the prompt template \(ENOENT\)/],
  ])('fails with a one-line reason and exit code 1 (%j)', async (flags, reason) => {
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const extra = flags.map((f) => (f === 'CLOSED' ? closed : f));
    const out = await outDir();
    const r = await generate(['--model', 'm', '--eval-set', syntheticEvalSet, '--out', out, ...extra]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr.trim().split('\n').filter((l) => /^aep generate:|^error:/.test(l))).toHaveLength(1);
  });

  it('resumes after kill -9 without requesting finished rows again', async () => {
    const e = await fake({ capacityTokensPerSecond: 400, perTokenLatencyMs: 5, outputTokens: () => 60 });
    const out = await outDir();
    const args = ['--model', 'fake-model', '--generator-base-url', e.baseUrl, '--eval-set', syntheticEvalSet, '--concurrency', '4', '--out', out];
    const checkpoint = join(out, 'generation-checkpoint');
    const finished = () => (existsSync(checkpoint) ? readdirSync(checkpoint).filter((f) => f.endsWith('.json')) : []);
    const first = await generate(args, {
      onStart: (pid) => {
        const poll = setInterval(() => {
          if (finished().length >= 8) {
            clearInterval(poll);
            process.kill(pid, 'SIGKILL');
          }
        }, 20);
      },
    });
    expect(first.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'model_outputs.json'))).toBe(false);
    const saved = finished();
    expect(saved.length).toBeGreaterThanOrEqual(8);
    expect(saved.length).toBeLessThan(40);
    const savedInstructions = saved.map((f) => readJson(join(checkpoint, f)).instruction as string);
    e.requests.length = 0;
    e.options.capacityTokensPerSecond = 1_000_000;
    e.options.perTokenLatencyMs = 0.001;
    const second = await generate(args);
    expect(second.code).toBe(0);
    const requested = e.requests.map((q) => q.prompt);
    expect(requested.filter((p) => savedInstructions.includes(p))).toEqual([]);
    expect(requested).toHaveLength(40 - saved.length);
    const rows = readJson(join(out, 'model_outputs.json')) as { instruction: string }[];
    expect(rows.map((x) => x.instruction)).toEqual(Array.from({ length: 40 }, (_, i) => `Synthetic instruction ${i}`));
    expect(readJson(join(out, 'generation.json')).stats).toMatchObject({ rows: 40, rowsResumed: saved.length });
  });

  describe('--engine vllm', () => {
    let binDir: string;
    beforeAll(async () => {
      ({ binDir } = await installVllmStandin());
    });

    it('starts vllm serve, generates through it and stops it', async () => {
      const out = await outDir();
      const record = join(out, 'standin.json');
      const r = await generate(['--model', 'org/tiny-model', '--engine', 'vllm', '--eval-set', syntheticEvalSet, '--max-instances', '4',
        '--seed', '5', '--out', out], { env: envWithPath(binDir, { STANDIN_RECORD: record, AEP_MODEL_REVISION: 'r1', AEP_VLLM_DTYPE: 'bfloat16' }) });
      expect(r.stderr).not.toMatch(/aep generate:/);
      expect(r.code).toBe(0);
      const { argv, pid } = readJson(record);
      expect(argv).toEqual(expect.arrayContaining(['serve', 'org/tiny-model', '--served-model-name', 'org/tiny-model', '--revision', 'r1',
        '--seed', '5', '--dtype', 'bfloat16']));
      expect(() => process.kill(pid, 0)).toThrow();
      expect(readJson(join(out, 'model_outputs.json'))).toHaveLength(4);
      expect(readJson(join(out, 'generation.json'))).toMatchObject({ engine: { kind: 'vllm' }, revision: 'r1', model: 'org/tiny-model' });
      expect(readFileSync(join(out, 'vllm.log'), 'utf8')).toMatch(/stand-in vllm serve org\/tiny-model/);
    });

    it('stops when vllm dies mid-run, keeping the finished rows, and names the engine output', async () => {
      const out = await outDir();
      const r = await generate(['--model', 'm', '--engine', 'vllm', '--eval-set', syntheticEvalSet, '--concurrency', '1', '--out', out],
        { env: envWithPath(binDir, { STANDIN_MODE: 'die-after:4' }) });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/aep generate: vllm serve died during generation \(exit code 1\): generation cancelled \(3 of 40 rows are saved in .*; rerun the same command to resume\); last engine output: .*EngineCore died/);
      expect(readdirSync(join(out, 'generation-checkpoint'))).toHaveLength(3);
      expect(readJson(join(out, 'generation.json'))).toMatchObject({ status: 'failed' });
    });

    it('fails with the engine output when vllm dies at start', async () => {
      const out = await outDir();
      const r = await generate(['--model', 'm', '--engine', 'vllm', '--eval-set', syntheticEvalSet, '--out', out],
        { env: envWithPath(binDir, { STANDIN_MODE: 'crash' }) });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/aep generate: vllm serve exited with code 3 before becoming ready; last engine output: .*CUDA out of memory/);
    });
  });
});
