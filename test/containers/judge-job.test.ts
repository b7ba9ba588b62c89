/**
 * The judge job (containers/judge): a prepared run folder judged on an engine of its own — stopped mid-job as by a
 * spot interruption and rerun (only rows not yet cached are judged again), and run from the built entry file with the
 * stand-in vllm (started with prefix caching for the run's open-weights preset).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJudgeJob } from '../../containers/judge/build.ts';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import type { BlobStore } from '../../lambdas/ports.ts';
import { createTestBucket, motoAvailability, motoClient, startMoto, type MotoServer } from '../support/moto.ts';
import { judgeChunkKey, runPrefix } from '../../lambdas/core/run/layout.ts';
import { aggregateRun } from '../../lambdas/services/workflow/aggregate-run.ts';
import { prepareRun } from '../../lambdas/services/workflow/prepare-run.ts';
import { localDeps } from '../../infra/local/local-deps.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { missingFixtures, missingMessage, readFixtureText, repoRoot } from '../support/fixtures.ts';
import { assetOverrides, FIXTURES } from '../workflow/harness.ts';
import { envWithPath, installVllmStandin, TSX_LOADER } from './standin.ts';

const OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';
const missing = missingFixtures(...FIXTURES, OUTPUTS);
if (missing.length) console.warn(`[skip] judge job tests: ${missingMessage(missing)}`);
const ENTRYPOINT = join(repoRoot, 'containers', 'judge', 'entrypoint.ts');
const MODEL = 'meta-llama/Meta-Llama-3-8B-Instruct';
const ROWS = 120;

let binDir: string;
let work: string;
beforeAll(async () => {
  ({ binDir } = await installVllmStandin());
  work = await mkdtemp(join(tmpdir(), 'aep-judge-job-'));
});

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

function runJob(env: Record<string, string>, { bundle, onStart }: { bundle?: string; onStart?: (pid: number) => void } = {}): Promise<Run> {
  const args = bundle ? [bundle] : ['--import', TSX_LOADER, ENTRYPOINT];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: envWithPath(binDir, { AEP_CACHE_DIR: join(work, 'assets'), AEP_OFFLINE: '1', ...env }) as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    onStart?.(child.pid!);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A run folder as PrepareRun leaves it for the judge: config with the open-weights judge, inputs, model outputs. */
function depsFor(store: BlobStore) {
  return localDeps({ store, cacheDir: join(work, 'assets'), env: { AEP_OFFLINE: '1' }, log: { info() {}, warn() {}, error() {} }, version: 'test' });
}

async function preparedRun(store?: BlobStore): Promise<{ results: string; runId: string }> {
  const results = await mkdtemp(join(work, 'results-'));
  const outputs = join(results, '..', `outputs-${Date.now()}.json`);
  await writeFile(outputs, readFixtureText(OUTPUTS));
  const deps = localDeps({ store: store ?? new FileBlobStore(results), cacheDir: join(work, 'assets'), env: { AEP_OFFLINE: '1' }, log: { info() {}, warn() {}, error() {} }, version: 'test' });
  const { judgeClient: _none, ...withoutJudge } = deps; // no judge preflight against an endpoint here
  const r = await prepareRun(withoutJudge as typeof deps, { input: { config: {
    model: 'alpaca-7b', modelOutputs: outputs, maxInstances: ROWS, assets: assetOverrides(),
    judge: { preset: 'vllm_llama3_8b', chunkSize: 20, concurrency: 8 },
  } } });
  expect(r.chunks).toHaveLength(ROWS / 20);
  return { results, runId: r.runId };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
function cacheEntries(dir: string): number {
  const v1 = join(dir, 'v1');
  if (!existsSync(v1)) return 0;
  return readdirSync(v1).reduce((n, d) => n + readdirSync(join(v1, d)).filter((f) => f.endsWith('.json')).length, 0);
}

describe.skipIf(missing.length > 0)('judge job', () => {
  let engine: FakeEngine;
  beforeAll(async () => {
    // ≈ 20 judgements/s: slow enough to interrupt mid-job
    engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 400, perTokenLatencyMs: 8, promptTokenCost: 0.02 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('stopped mid-job by SIGTERM (spot interruption) exits 143; the rerun judges only the rows not yet cached', async () => {
    // Prepare
    const { results, runId } = await preparedRun();
    const cache = join(results, 'cache', 'judge');
    const env = { RESULTS_URL: results, RUN_ID: runId, JUDGE_BASE_URL: engine.baseUrl };
    const first = engine.requests.length;
    const answered = () => engine.stats.tokensServed;
    const before = answered();
    // Act: interrupt once 30 rows are answered
    const interrupted = await runJob(env, {
      onStart: (pid) => {
        const timer = setInterval(() => {
          if (answered() - before >= 30) {
            clearInterval(timer);
            process.kill(pid, 'SIGTERM');
          }
        }, 10);
      },
    });
    const cachedAfterStop = cacheEntries(cache);
    const firstRequests = engine.requests.slice(first).map((r) => JSON.stringify(r.body.messages));
    const second = engine.requests.length;
    const rerun = await runJob(env);
    const rerunRequests = engine.requests.slice(second).map((r) => JSON.stringify(r.body.messages));
    // Assess: the interruption
    expect(interrupted.code, interrupted.stderr).toBe(143);
    expect(interrupted.stderr).toContain('aep-judge: SIGTERM received: stopping; judged rows stay in the judge cache');
    expect(cachedAfterStop).toBeGreaterThanOrEqual(10); // answers in flight to the cache when stopped may be lost: judged again
    expect(cachedAfterStop).toBeLessThan(ROWS - 10); // stopped mid-job
    // the rerun: complete, and it asked the engine once for each row the cache did not hold, never for a cached one
    expect(rerun.code, rerun.stderr).toBe(0);
    const distinct = new Set([...firstRequests, ...rerunRequests]);
    expect(new Set(rerunRequests).size).toBe(rerunRequests.length);
    expect(rerunRequests.length).toBe(distinct.size - cachedAfterStop);
    expect(rerunRequests.length).toBeGreaterThan(10);
    console.log(`judge job: ${cachedAfterStop} rows cached at the interruption, ${rerunRequests.length} judged by the rerun, ${distinct.size} distinct prompts`);
    expect(cacheEntries(cache)).toBe(distinct.size);
    const job = readJson(join(results, runPrefix(runId), 'judge', 'engine-job.json'));
    expect(job).toMatchObject({ runId, judge: 'vllm_llama3_8b', chunks: 6, rows: ROWS, failed: 0, failedChunks: 0, paid: rerunRequests.length });
    expect(job.paid + job.cached + job.identical).toBe(ROWS);
    // the chunk files are the Judge Chunk step's: every row, in order, with a judgement
    const rows = Array.from({ length: 6 }, (_, i) => readJson(join(results, runPrefix(runId), judgeChunkKey(i)))).flatMap((f) => {
      expect(f).toMatchObject({ version: 1, stats: { failed: 0 } });
      return f.rows as { annotator: string; judge_source: string; preference: number | null }[];
    });
    expect(rows).toHaveLength(ROWS);
    expect(rows.every((r) => r.annotator === 'vllm_llama3_8b' && ['api', 'cache', 'identical'].includes(r.judge_source))).toBe(true);
    // a third run finds every chunk complete and asks nothing
    const third = engine.requests.length;
    const again = await runJob(env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/already complete/g)).toHaveLength(6);
    expect(engine.requests.length).toBe(third);
    // the next state of the workflow reads what the job wrote: Aggregate gives the metrics
    const metrics = await aggregateRun(depsFor(new FileBlobStore(results)), { runPrefix: runPrefix(runId) });
    expect(metrics.n_total).toBeGreaterThan(ROWS - 20);
    expect(metrics.length_controlled_winrate).toBeGreaterThan(0);
    expect(existsSync(join(results, runPrefix(runId), 'metrics.json'))).toBe(true);
  }, 120_000);

  it('runs from the built entry file: starts the stand-in vllm for the preset with prefix caching, judges the plan, stops it', async () => {
    // Prepare
    const bundle = await buildJudgeJob({ outfile: join(work, 'dist', 'entrypoint.mjs') });
    const { results, runId } = await preparedRun();
    // a plan written beside the run (what PrepareRun's chunks would be): three chunks of 40
    await mkdir(join(results, runPrefix(runId), 'judge'), { recursive: true });
    await writeFile(join(results, runPrefix(runId), 'judge', 'plan.json'), JSON.stringify({
      chunks: [{ index: 0, start: 0, end: 40, last: false }, { index: 1, start: 40, end: 80, last: false }, { index: 2, start: 80, end: 120, last: true }],
    }));
    const record = join(work, `standin-${Date.now()}.json`);
    // Act
    const r = await runJob({ RESULTS_URL: `file://${results}`, RUN_ID: runId, STANDIN_RECORD: record }, { bundle });
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/aep-judge: run .*, judge vllm_llama3_8b \(meta-llama\/Meta-Llama-3-8B-Instruct\), 3 chunks \(plan .*plan\.json\)/);
    const { argv, pid } = readJson(record) as { argv: string[]; pid: number };
    expect(argv.slice(0, 2)).toEqual(['serve', MODEL]);
    expect(argv).toContain('--enable-prefix-caching');
    expect(argv[argv.indexOf('--served-model-name') + 1]).toBe(MODEL);
    expect(argv[argv.indexOf('--revision') + 1]).toBe('339ce92d052f002cdbac4a4bd551d1c61dd8345e');
    expect(() => process.kill(pid, 0)).toThrow(); // stopped
    for (let i = 0; i < 3; i++) expect(readJson(join(results, runPrefix(runId), judgeChunkKey(i))).rows).toHaveLength(40);
    expect(existsSync(join(results, runPrefix(runId), judgeChunkKey(3)))).toBe(false);
    const job = readJson(join(results, runPrefix(runId), 'judge', 'engine-job.json'));
    expect(job).toMatchObject({ chunks: 3, rows: ROWS, failed: 0, engine: { started: true, gpus: 1 } });
    expect(job.engine.gpuMinutes).toBeGreaterThan(0);
  }, 120_000);

  it('names the missing setting or a bad plan field, and judges nothing', async () => {
    const { results, runId } = await preparedRun();
    const before = engine.requests.length;
    const noRun = await runJob({ RESULTS_URL: results, JUDGE_BASE_URL: engine.baseUrl });
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toContain('aep-judge: RUN_ID is not set');
    await mkdir(join(results, runPrefix(runId), 'judge'), { recursive: true });
    await writeFile(join(results, runPrefix(runId), 'judge', 'plan.json'), JSON.stringify({ chunks: [{ index: 0, start: '0', end: 10, last: true }] }));
    const badPlan = await runJob({ RESULTS_URL: results, RUN_ID: runId, JUDGE_BASE_URL: engine.baseUrl });
    expect(badPlan.code).toBe(1);
    expect(badPlan.stderr).toMatch(/aep-judge: .*judge\/plan\.json: chunks\[0\] must have integer index, start, end and boolean last/);
    expect(engine.requests.length).toBe(before);
  }, 60_000);
});

const moto = motoAvailability();
describe.skipIf(missing.length > 0 || !moto.available)('judge job on S3', () => {
  let s3: MotoServer;
  let engine: FakeEngine;
  beforeAll(async () => {
    s3 = await startMoto();
    engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 400, perTokenLatencyMs: 8, promptTokenCost: 0.02 });
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
    await s3?.stop();
  });

  it('reads the run and its plan from s3://, and after a hard kill (SIGKILL) the rerun judges only the uncached rows', async () => {
    // Prepare: a run prepared in a bucket
    const client = motoClient(s3);
    const bucket = await createTestBucket(client, 'aep-judge-job');
    client.destroy();
    const store = openBlobStore(`s3://${bucket}/`, { env: s3.env });
    const { runId } = await preparedRun(store);
    const env = { ...s3.env, RESULTS_URL: `s3://${bucket}`, RUN_ID: runId, JUDGE_BASE_URL: engine.baseUrl } as Record<string, string>;
    const cached = async () => (await store.list('cache/judge/v1/')).filter((k) => k.endsWith('.json')).length;
    const first = engine.requests.length;
    const before = engine.stats.tokensServed;
    // Act: kill -9 once 25 rows are answered
    const killed = await runJob(env, {
      onStart: (pid) => {
        const timer = setInterval(() => {
          if (engine.stats.tokensServed - before >= 25) {
            clearInterval(timer);
            process.kill(pid, 'SIGKILL');
          }
        }, 10);
      },
    });
    const cachedAfterKill = await cached();
    const firstRequests = engine.requests.slice(first).map((r) => JSON.stringify(r.body.messages));
    const second = engine.requests.length;
    const rerun = await runJob(env);
    const rerunRequests = engine.requests.slice(second).map((r) => JSON.stringify(r.body.messages));
    // Assess
    expect(killed.signal).toBe('SIGKILL');
    expect(cachedAfterKill).toBeGreaterThanOrEqual(10);
    expect(cachedAfterKill).toBeLessThan(ROWS - 10);
    expect(rerun.code, rerun.stderr).toBe(0);
    const distinct = new Set([...firstRequests, ...rerunRequests]);
    expect(new Set(rerunRequests).size).toBe(rerunRequests.length);
    expect(rerunRequests.length).toBe(distinct.size - cachedAfterKill);
    expect(await cached()).toBe(distinct.size);
    console.log(`judge job on S3: ${cachedAfterKill} rows cached at the kill, ${rerunRequests.length} judged by the rerun, ${distinct.size} distinct prompts`);
    const job = JSON.parse((await store.get(`${runPrefix(runId)}judge/engine-job.json`))!.toString('utf8'));
    expect(job).toMatchObject({ rows: ROWS, failed: 0, paid: rerunRequests.length });
    const chunkKeys = (await store.list(`${runPrefix(runId)}judge/`)).filter((k) => /chunk-\d{4}\.json$/.test(k));
    expect(chunkKeys).toHaveLength(6);
  }, 120_000);
});
