/**
 * The cloud configuration of an open-weights judge, run by the local interpreter of the stack's state machine: the
 * run's judge is `vllm_llama3_8b` with no endpoint of its own, so Prepare (as in the cloud) chooses the GPU judge job
 * ("Judge On GPU"), which the test binds to the judge container's code (`containers/judge/run.ts`) with the job's
 * environment; the job starts the stand-in `vllm` (`test/containers/vllm-standin.ts`) as it would start vLLM. The
 * result is complete and calibrated (the calibration is built by `aep calibrate --from-leaderboard` from a synthetic
 * leaderboard of the judge), and the report prices the engine's GPU-minutes.
 */
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgeJob } from '../../containers/judge/run.ts';
import { JUDGE_PRESETS } from '../../lambdas/core/judge/presets.ts';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { RunConfigSchema, runIdFor } from '../../lambdas/core/run/run-config.ts';
import { runAep } from '../support/cli.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { envWithPath, installVllmStandin } from '../containers/standin.ts';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { fixturePath, missingFixtures, missingMessage, readFixtureText } from '../support/fixtures.ts';
import { motoAvailability, startMoto, type MotoServer } from '../support/moto.ts';
import { assetOverrides, FIXTURES, listKeys, MODEL, newBucket, readJson, runWorkflow } from './harness.ts';

const moto = motoAvailability();
const missing = missingFixtures(...FIXTURES);
const skip = !moto.available ? moto.reason : missing.length ? missingMessage(missing) : undefined;
if (skip) console.warn(`[skip] GPU judge job workflow tests: ${skip}`);

const PRESET = JUDGE_PRESETS.vllm_llama3_8b!;

let s3: MotoServer;
let generator: FakeEngine;
let dir: string;
let binDir: string;

beforeAll(async () => {
  if (skip) return;
  [s3, generator, { binDir }] = await Promise.all([
    startMoto(),
    startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 }),
    installVllmStandin(),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'aep-judge-gpu-'));
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.stop(), generator?.close()]);
});

/** A leaderboard of the judge for `aep calibrate --from-leaderboard`: the official LC squashed, shifted and jittered. */
async function judgeBoard(): Promise<string> {
  const lines = readFixtureText(FIXTURES[4]!).trim().split('\n');
  const header = lines[0]!.split(',');
  const lc = header.indexOf('length_controlled_winrate');
  const out = [lines[0]!];
  for (const [i, line] of lines.slice(1).entries()) {
    const cells = line.split(',');
    const official = Number(cells[lc]);
    if (!Number.isFinite(official)) continue;
    cells[lc] = String(Math.min(99, Math.max(1, 0.8 * official + 6 + ((i * 37) % 7) - 3)));
    out.push(cells.join(','));
  }
  const file = join(dir, 'judge-board.csv');
  await writeFile(file, `${out.join('\n')}\n`);
  return file;
}

describe.skipIf(!!skip)('the GPU judge job in the workflow (the cloud configuration)', () => {
  it('judges an open-weights run with the job instead of the Lambda fan-out: complete, and on the official scale', async () => {
    // Prepare: a calibration of the judge, with no judge spend
    const cal = await runAep(['calibrate', '--judge', PRESET.name, '--from-leaderboard', await judgeBoard(), '--leaderboard', fixturePath(FIXTURES[4]!)!, '--out', join(dir, 'cal'), '--json']);
    expect(cal.code, cal.stderr).toBe(0);
    const calibration = join(dir, 'cal', 'calibration.json');
    const bucket = await newBucket(s3);
    const cfg = { model: MODEL, maxInstances: 40, calibration, judge: { preset: PRESET.name, chunkSize: 10 }, assets: assetOverrides() };
    const runId = runIdFor(RunConfigSchema.parse(cfg));
    const jobs: Record<string, string>[] = [];
    // Act
    const { result, states } = await runWorkflow({
      moto: s3, bucket, config: cfg, engineBaseUrl: generator.baseUrl,
      judgeJob: async (job, env) => {
        jobs.push(job.environment);
        // the job definition's environment (RESULTS_URL) and the state's overrides (RUN_ID), as Batch gives them
        const lines: string[] = [];
        const code = await runJudgeJob({
          env: envWithPath(binDir, { ...env, ...job.environment, RESULTS_URL: `s3://${bucket}/`, STANDIN_RECORD: join(dir, 'standin.json') }),
          out: () => {}, err: (t) => lines.push(t),
        });
        if (code !== 0) throw new Error(`judge job exited ${code}: ${lines.join('').trim().split('\n').at(-1)}`);
      },
    });
    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    const entered = new Set(states.filter((e) => e.type === 'entered').map((e) => e.state));
    expect(entered.has('Judge On GPU')).toBe(true);
    expect(entered.has('Judge Chunks')).toBe(false);
    expect(jobs).toEqual([{ RUN_ID: runId }]);
    const keys = await listKeys(s3, bucket, `runs/${runId}/judge/`);
    expect(keys).toEqual(expect.arrayContaining(['plan.json', 'chunk-0000.json', 'chunk-0003.json', 'engine-job.json'].map((f) => `runs/${runId}/judge/${f}`)));
    const plan = (await readJson<{ chunks: unknown[] }>(s3, bucket, `runs/${runId}/judge/plan.json`))!;
    expect(plan.chunks).toHaveLength(4);
    // the job started the engine for the preset, judged every row, and stopped it
    const standin = JSON.parse(await readFile(join(dir, 'standin.json'), 'utf8')) as { argv: string[] };
    expect(standin.argv.slice(0, 2)).toEqual(['serve', PRESET.model]);
    expect(standin.argv).toContain('--enable-prefix-caching');
    const engineJob = (await readJson<{ rows: number; failed: number; engine: { started: boolean; gpuMinutes: number } }>(s3, bucket, `runs/${runId}/judge/engine-job.json`))!;
    expect(engineJob).toMatchObject({ rows: 40, failed: 0, engine: { started: true } });
    const metrics = (await readJson<{ n_total: number; judge: { preset: string; scale: string }; official_scale?: { length_controlled_winrate: number; interval: number[] } }>(s3, bucket, `runs/${runId}/metrics.json`))!;
    expect(metrics.n_total).toBe(40);
    expect(metrics.judge).toMatchObject({ preset: PRESET.name, scale: `judge:${PRESET.model}` });
    expect(metrics.official_scale!.length_controlled_winrate).toEqual(expect.any(Number));
    expect(metrics.official_scale!.interval).toHaveLength(2);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    expect(manifest.status).toBe('succeeded');
    expect(manifest.stages.judge!.details).toMatchObject({ rows: 40, failed: 0, chunks: 4 });
    // the engine's use, priced at the planned instance's list price, in the manifest and the report
    const engine = (manifest.stages.judge!.details as { engine: { gpuMinutes: number; usd: { instance: string; onDemand: number; spot: number } } }).engine;
    expect(engine.gpuMinutes).toBeCloseTo(engineJob.engine.gpuMinutes, 9);
    expect(engine.usd.instance).toBe(PRESET.selfHosted!.gpu.instanceTypes[0]);
    expect(engine.usd.spot).toBeLessThan(engine.usd.onDemand);
    const report = (await openBlobStore(`s3://${bucket}/`, { env: s3.env }).get(`runs/${runId}/report.html`))!.toString('utf8');
    expect(report).toContain('Judge GPU time');
    expect(report).toContain(`at ${engine.usd.instance} list price`);
    expect(JSON.parse(await readFile(calibration, 'utf8')).judge).toMatchObject({ preset: PRESET.name });
  }, 300_000);
});
