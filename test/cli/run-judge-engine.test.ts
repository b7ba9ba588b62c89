/**
 * `aep run --judge-engine vllm`: the judge is an open-weights preset served by a vLLM this command starts (the
 * stand-in `vllm` on PATH, serving the fake engine, which answers judge requests with top-5 logprobs as vLLM does).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installVllmStandin, envWithPath } from '../containers/standin.ts';
import { runAep } from '../support/cli.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { fixturePath, missingFixtures, missingMessage, readFixtureText } from '../support/fixtures.ts';
import { assetFlags, FIXTURES, MODEL } from '../workflow/harness.ts';

const FLAGS = 'derived/is_switched_outputs.json';
const missing = missingFixtures(...FIXTURES, FLAGS);
if (missing.length) console.warn(`[skip] aep run --judge-engine tests: ${missingMessage(missing)}`);

let engine: FakeEngine;
let binDir: string;
beforeAll(async () => {
  engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  ({ binDir } = await installVllmStandin());
});
afterAll(async () => {
  await engine?.close();
});

/**
 * The official logprob_parser (spec §3.6), written out here independently of the product's parser: over
 * `content[0].top_logprobs`, only the exact tokens "m" and "M" (the last of a repeated token wins), a missing one at
 * −∞; none → NaN; P(m) = exp(lp_m − logsumexp(lp_m, lp_M)); judge-order preference 2 − P(m); a switched row
 * (the model's output shown first) → 3 − that.
 */
function officialPreference(raw: any, switched: boolean): number | null {
  const top: { token: string; logprob: number }[] | undefined = raw?.logprobs?.content?.[0]?.top_logprobs;
  if (!top || raw.logprobs.content.length !== 1) return null;
  const lp: Record<string, number> = {};
  for (const t of top) if (t.token === 'm' || t.token === 'M') lp[t.token] = t.logprob;
  if (!('m' in lp) && !('M' in lp)) return null;
  const m = lp.m ?? -Infinity;
  const M = lp.M ?? -Infinity;
  const max = Math.max(m, M);
  const p = Math.exp(m - (Math.log(Math.exp(m - max) + Math.exp(M - max)) + max));
  const judgeOrder = 2 - p;
  return switched ? 3 - judgeOrder : judgeOrder;
}

describe.skipIf(missing.length > 0)('aep run --judge-engine vllm', () => {
  it('starts vLLM for the judge with prefix caching, judges every row on it, and writes metrics parsed as the official parser', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'aep-run-judge-engine-'));
    const record = join(dir, 'vllm-argv.json');
    const out = join(dir, 'results');
    // Act
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge', 'vllm_llama3_8b', '--judge-engine', 'vllm',
      '--max-instances', '60', '--out', out, '--cache-dir', join(dir, 'cache'), ...assetFlags()],
    { env: envWithPath(binDir, { OPENAI_API_KEY: '', STANDIN_RECORD: record }), timeoutMs: 120_000 });
    // Assess: the run succeeded without any OpenAI key, on the engine it started and stopped
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/aep run: judge vLLM up \d+\.\d s \(start \d+\.\d s\) on 1 GPU\(s\): \d+\.\d\d GPU-minutes/);
    const { argv, pid } = JSON.parse(await readFile(record, 'utf8')) as { argv: string[]; pid: number };
    expect(argv.slice(0, 2)).toEqual(['serve', 'meta-llama/Meta-Llama-3-8B-Instruct']);
    const flag = (name: string) => argv[argv.indexOf(name) + 1];
    expect(argv).toContain('--enable-prefix-caching');
    expect(flag('--served-model-name')).toBe('meta-llama/Meta-Llama-3-8B-Instruct');
    expect(flag('--revision')).toBe('339ce92d052f002cdbac4a4bd551d1c61dd8345e');
    expect(flag('--max-model-len')).toBe('8192');
    expect(flag('--dtype')).toBe('bfloat16');
    expect(() => process.kill(pid, 0)).toThrow(); // stopped

    const runId = /run (hh-llama32-1b-sft-latest-[0-9a-f]+)/.exec(r.stdout)![1]!;
    const folder = join(out, 'runs', runId);
    for (const f of ['annotations.json', 'metrics.json', 'leaderboard.csv', 'report.html']) expect(existsSync(join(folder, f)), f).toBe(true);
    const used = JSON.parse(await readFile(join(folder, 'judge', 'engine-local.json'), 'utf8'));
    expect(used).toMatchObject({ judge: 'vllm_llama3_8b', model: 'meta-llama/Meta-Llama-3-8B-Instruct', gpus: 1 });
    expect(used.gpuMinutes).toBeGreaterThan(0);
    expect(used.command).toContain('--enable-prefix-caching');
    // the manifest and the report record the engine's GPU time, priced at the preset's planned instance
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest.stages.judge.details.engine).toMatchObject({ gpus: 1, usd: { instance: 'g6.xlarge' } });
    expect(manifest.stages.judge.details.engine.gpuMinutes).toBeGreaterThan(0);
    expect(manifest.stages.judge.details.engine.gpuMinutes).toBeLessThanOrEqual(used.gpuMinutes);
    expect(await readFile(join(folder, 'report.html'), 'utf8')).toContain('Judge GPU time');
    const rows = JSON.parse(await readFile(join(folder, 'annotations.json'), 'utf8')) as any[];
    expect(rows).toHaveLength(60);
    // every judged row: the engine's answer, parsed exactly as the official parser does (incl. its NaN cases)
    const flags = (JSON.parse(readFixtureText(FLAGS)) as { rows: { index: number; is_switched_outputs: boolean }[] }).rows;
    const reference = JSON.parse(readFixtureText(FIXTURES[0]!)) as { instruction: string }[];
    const switchedOf = (instruction: string) => flags[reference.findIndex((x) => x.instruction === instruction)]!.is_switched_outputs;
    let judged = 0;
    let nan = 0;
    for (const row of rows) {
      expect(row.annotator).toBe('vllm_llama3_8b');
      if (row.preference_raw_completion === null) continue;
      judged++;
      const expected = officialPreference(row.preference_raw_completion, switchedOf(row.instruction));
      if (expected === null) {
        nan++;
        expect(row.preference, row.instruction).toBeNull();
      } else {
        expect(Math.abs(row.preference - expected), row.instruction).toBeLessThan(1e-12);
      }
    }
    expect(judged).toBeGreaterThan(50);
    // the engine's quirky answers were among them (whitespace variant, −9999, one of m/M, neither)
    const tokens = rows.flatMap((x) => x.preference_raw_completion?.logprobs.content[0].top_logprobs.map((t: any) => `${t.token}:${t.logprob}`) ?? []);
    expect(tokens.some((t) => t.startsWith(' m:') || t === 'M:-9999' || t.startsWith('Model:'))).toBe(true);
    const metrics = JSON.parse(await readFile(join(folder, 'metrics.json'), 'utf8')) as Record<string, any>;
    expect(JSON.stringify(metrics)).toMatch(/"win_rate":\d/);
    expect(r.stdout).toMatch(/LC win rate\s+\d+\.\d\d/);
    expect(nan).toBeLessThan(judged);

    // Act again: everything is cached, so the engine is not started at all
    const again = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge', 'vllm_llama3_8b', '--judge-engine', 'vllm',
      '--max-instances', '60', '--out', join(dir, 'results2'), '--cache-dir', join(dir, 'cache'), ...assetFlags()],
    { env: envWithPath(binDir, { OPENAI_API_KEY: '', STANDIN_RECORD: join(dir, 'second.json') }), timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('judge vLLM not started (every judgement was cached)');
    expect(existsSync(join(dir, 'second.json'))).toBe(false);
  }, 240_000);

  it('fails the run with vLLM\'s own words when the judge engine cannot start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-run-judge-engine-'));
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge', 'vllm_llama3_8b', '--judge-engine', 'vllm',
      '--max-instances', '10', '--out', join(dir, 'results'), '--cache-dir', join(dir, 'cache'), ...assetFlags()],
    { env: envWithPath(binDir, { OPENAI_API_KEY: '', STANDIN_MODE: 'crash' }), timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the judge vLLM failed to start');
    expect(r.stderr).toMatch(/vllm serve exited with code 3 before becoming ready/);
  }, 120_000);

  it('refuses a judge without open weights, another judge endpoint, or no vllm, before starting anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-run-judge-engine-'));
    const base = ['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-engine', 'vllm', '--out', dir, ...assetFlags()];
    const before = engine.requests.length;
    const closed = await runAep([...base, '--judge', 'gpt4.1'], { env: envWithPath(binDir) });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/judge gpt4\.1 \(gpt-4\.1-2025-04-14\) has no open weights to serve with vLLM; open-weights presets: weighted_alpaca_eval_vllm_llama3_70b, vllm_llama3_8b/);
    const both = await runAep([...base, '--judge', 'vllm_llama3_8b', '--judge-base-url', 'http://127.0.0.1:9/v1'], { env: envWithPath(binDir) });
    expect(both.stderr).toContain('give one of --judge-engine vllm (start one) or --judge-base-url URL');
    const noVllm = await runAep([...base, '--judge', 'vllm_llama3_8b'], { env: { PATH: '/usr/bin:/bin', OPENAI_API_KEY: '' } });
    expect(noVllm.code).toBe(1);
    expect(noVllm.stderr).toMatch(/--judge-engine vllm needs the vllm command on PATH .*nothing was started/);
    expect(engine.requests.length).toBe(before);
    expect(fixturePath(FIXTURES[0]!)).toBeDefined();
  }, 60_000);
});
