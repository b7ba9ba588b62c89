import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { parseAnnotations } from '../../lambdas/core/annotations.ts';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { runIdFor, RunConfigSchema } from '../../lambdas/core/run/run-config.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { missingFixtures, missingMessage } from '../support/fixtures.ts';
import { motoAvailability, startMoto, type MotoServer } from '../support/moto.ts';
import { assetOverrides, FIXTURES, listKeys, MODEL, newBucket, readJson, runWorkflow } from './harness.ts';

const moto = motoAvailability();
const missing = missingFixtures(...FIXTURES);
const skip = !moto.available ? moto.reason : missing.length ? missingMessage(missing) : undefined;
if (skip) console.warn(`[skip] workflow tests: ${skip}`);

let s3: MotoServer;
let engine: FakeEngine;
let judge: FakeOpenAI;

beforeAll(async () => {
  if (skip) return;
  s3 = await startMoto();
  engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  judge = await startFakeOpenAI();
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.stop(), engine?.close(), judge?.close()]);
});

function config(extra: Record<string, unknown> = {}) {
  return { model: MODEL, judge: { baseUrl: judge.baseUrl, concurrency: 16, chunkSize: 25 }, assets: assetOverrides(), ...extra };
}

/** How many times each prompt was answered (paid). */
function maxPaidPerPrompt(): number {
  return Math.max(0, ...judge.answered.values());
}

describe.skipIf(!!skip)('the workflow run locally', () => {
  it('generates, judges and aggregates into a complete run folder on S3', async () => {
    // Prepare
    const bucket = await newBucket(s3);
    const cfg = config({ maxInstances: 120 });
    const runId = runIdFor(RunConfigSchema.parse(cfg));
    const before = { engine: engine.requests.length, judge: judge.chatRequests.length };
    // Act
    const { result } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl });
    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    const keys = await listKeys(s3, bucket, `runs/${runId}/`);
    for (const f of ['manifest.json', 'config.json', 'model_outputs.json', 'generation.json', 'annotations.json', 'metrics.json', 'leaderboard.csv', 'lc_glm.json', 'report.html', 'inputs/eval_set.json', 'inputs/judge_template.txt', 'inputs/df_gamed.csv', 'inputs/leaderboard.csv', 'judge/chunk-0000.json', 'judge/chunk-0004.json']) {
      expect(keys, f).toContain(`runs/${runId}/${f}`);
    }
    expect(await listKeys(s3, bucket, `reports/${runId}/`)).toEqual([`reports/${runId}/index.html`]);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    expect(manifest.status).toBe('succeeded');
    expect(Object.keys(manifest.stages).sort()).toEqual(['aggregate', 'generate', 'judge', 'prepare', 'report']);
    expect(manifest.stages.judge!.details).toMatchObject({ rows: 120, paid: 120, failed: 0, chunks: 5 });
    expect(manifest.assets['judge-template']!.matchesPin).toBe(true);
    expect(manifest.tokens.judgePrompt).toBeGreaterThan(0);
    expect(manifest.costUsd.judge).toBeGreaterThan(0);
    expect(manifest.results!.n_total).toBe(120);
    expect(engine.requests.length - before.engine).toBe(120);
    expect(judge.chatRequests.length - before.judge).toBe(120);
    const annotations = await openText(bucket, `runs/${runId}/annotations.json`);
    expect(parseAnnotations(annotations, 'annotations.json').rows).toHaveLength(120);
  });

  it('retries a judge chunk whose rows failed, without judging any row twice', async () => {
    const bucket = await newBucket(s3);
    // one prompt in seven fails its first 4 requests: more than a chunk's 3 attempts, so the chunk fails once
    judge.options.fault = failEvery(7, 4);
    const cfg = config({ maxInstances: 60, name: 'retry-model' });
    judge.answered.clear();
    const { result, states } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl });
    judge.options.fault = undefined;
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    expect(states.some((e) => e.type === 'retried' && e.state === 'Judge Chunk')).toBe(true);
    expect(maxPaidPerPrompt()).toBe(1);
  });

  it('marks the run failed with the reason when generation fails', async () => {
    const bucket = await newBucket(s3);
    engine.options.fault = () => ({ type: 'status', status: 500, message: 'CUDA out of memory' });
    const cfg = config({ maxInstances: 10, name: 'gen-fails' });
    const { result } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl });
    engine.options.fault = undefined;
    expect(result).toMatchObject({ status: 'FAILED', error: 'GenerationFailed' });
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runIdFor(RunConfigSchema.parse(cfg))}/manifest.json`))!;
    expect(manifest.status).toBe('failed');
    expect(manifest.failure).toMatchObject({ stage: 'generate', error: 'GenerationFailed' });
    expect(manifest.failure!.cause).toMatch(/500/);
  });

  it('names a GPU job Batch cancelled after waiting in RUNNABLE: no GPU capacity for N minutes, cancelled', async () => {
    const bucket = await newBucket(s3);
    const cfg = config({ maxInstances: 10, name: 'no-capacity' });
    const before = { engine: engine.requests.length, judge: judge.chatRequests.length };
    // what the .sync integration reports when the queue's JobStateTimeLimitActions cancel the job: the task fails
    // and its Cause is the job description, whose StatusReason carries the action's reason
    const { result } = await runWorkflow({
      moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl,
      generate: async (job) => {
        throw Object.assign(new Error(JSON.stringify({
          JobName: job.jobName, JobId: 'b7d0', Status: 'FAILED',
          StatusReason: 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type [g6.xlarge]',
        })), { name: 'States.TaskFailed' });
      },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(result.status === 'FAILED' && result.cause).toMatch(/^no GPU capacity for 60 minutes, cancelled/);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runIdFor(RunConfigSchema.parse(cfg))}/manifest.json`))!;
    expect(manifest.status).toBe('failed');
    expect(manifest.failure).toMatchObject({ stage: 'generate', error: 'States.TaskFailed' });
    expect(manifest.failure!.cause).toContain('no GPU capacity for 60 minutes, cancelled');
    expect(manifest.failure!.cause).toContain('[Batch: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY]');
    // and the report site's front page lists the run with that reason
    const index = (await openBlobStore(`s3://${bucket}/`, { env: s3.env }).get('reports/index.html'))!.toString('utf8');
    expect(index).toContain('generate: no GPU capacity for 60 minutes, cancelled');
    expect({ engine: engine.requests.length, judge: judge.chatRequests.length }).toEqual(before);
  });

  it('refuses a run whose judge cost bound exceeds its budget before generating or judging anything', async () => {
    const bucket = await newBucket(s3);
    const cfg = config({ maxInstances: 40, name: 'over-budget', budgetUsd: 0.05 });
    const before = { engine: engine.requests.length, judge: judge.chatRequests.length };
    const { result } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl });
    expect(result).toMatchObject({ status: 'FAILED', error: 'BudgetExceededError' });
    expect(result.status === 'FAILED' && result.cause).toMatch(/^judging could cost \$\d+\.\d\d \(upper bound, \d+ prompt tokens for 40 rows\), above the budget of \$0\.05/);
    expect({ engine: engine.requests.length, judge: judge.chatRequests.length }).toEqual(before);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runIdFor(RunConfigSchema.parse(cfg))}/manifest.json`))!;
    expect(manifest.failure).toMatchObject({ stage: 'prepare', error: 'BudgetExceededError' });
  });

  it('judges through the OpenAI Batch API branch: submit, wait loop, collect, then the lines it failed by the retried chunks', async () => {
    const bucket = await newBucket(s3);
    let lines = 0;
    judge.options.batch = { retrievesPerStep: 1, lineFault: () => (++lines % 10 === 0 ? { type: 'status', status: 500 } : undefined) };
    // in real time, each left-over line is refused once (a 400 the client does not retry): its chunk fails and the
    // state machine's Retry clause runs it again
    const refused = new Set<string>();
    judge.options.fault = (req) => (refused.has(req.promptKey) ? undefined : (refused.add(req.promptKey), { type: 'status', status: 400, message: 'refused once' }));
    const cfg = config({ maxInstances: 40, name: 'batch-model', judge: { baseUrl: judge.baseUrl, mode: 'batch-api', concurrency: 8, chunkSize: 25 } });
    const runId = runIdFor(RunConfigSchema.parse(cfg));
    judge.answered.clear();
    const realTimeBefore = judge.chatRequests.length;
    const { result, states } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl });
    judge.options.batch = undefined;
    judge.options.fault = undefined;
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    const entered = states.filter((e) => e.type === 'entered').map((e) => e.state);
    expect(entered).toEqual(expect.arrayContaining(['Submit Judge Batch', 'Wait For Judge Batch', 'Check Judge Batch', 'Judge Batch Done?', 'Judge Chunks', 'Judge Chunk']));
    expect(entered.indexOf('Judge Chunks')).toBeGreaterThan(entered.lastIndexOf('Check Judge Batch'));
    expect(entered.filter((s) => s === 'Check Judge Batch').length).toBeGreaterThan(1);
    expect(states.some((e) => e.type === 'retried' && e.state === 'Judge Chunk')).toBe(true);
    expect(judge.batches.batches.size).toBe(1);
    const failedLines = Math.floor(lines / 10);
    expect(failedLines).toBeGreaterThan(0);
    // only the failed lines go out in real time: each refused once, then answered once
    expect(refused.size).toBe(failedLines);
    expect(judge.chatRequests.length - realTimeBefore).toBe(2 * failedLines);
    expect(maxPaidPerPrompt()).toBe(1);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    // the batch's answers count as paid once (by the batch), not as cached rows of the chunks
    expect(manifest.stages.judge!.details).toMatchObject({ rows: 40, paid: 40, cached: 0, failed: 0, chunks: 2 });
    expect(await listKeys(s3, bucket, `runs/${runId}/judge/`)).toEqual(['batch.json', 'chunk-0000.json', 'chunk-0001.json'].map((f) => `runs/${runId}/judge/${f}`));
  });

  it('two executions of one run at once: the second stops at Prepare, the first finishes, nothing generated or paid twice', async () => {
    const bucket = await newBucket(s3);
    const cfg = config({ maxInstances: 30, name: 'two-executions' });
    const runId = runIdFor(RunConfigSchema.parse(cfg));
    judge.options.latencyMs = 30;
    judge.answered.clear();
    const engineBefore = engine.requests.length;
    let aRunning = true;
    const executionState = async (e: string) => (e === 'arn:exec:a' && aRunning ? 'running' as const : 'ended' as const);
    const a = runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl, executionId: 'arn:exec:a', executionState })
      .finally(() => (aRunning = false));
    // the second starts once the first holds the run (its Prepare took the lease)
    for (let i = 0; i < 400 && !(await listKeys(s3, bucket, `runs/${runId}/lease.json`)).length; i++) await new Promise((r) => setTimeout(r, 25));
    const b = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl, executionId: 'arn:exec:b', executionState });
    expect(aRunning).toBe(true); // the second was refused while the first was still going
    expect(b.result).toMatchObject({ status: 'FAILED', error: 'RunInProgressError' });
    expect(b.result.status === 'FAILED' && b.result.cause).toContain('is being evaluated by arn:exec:a');
    const first = await a;
    judge.options.latencyMs = undefined;
    expect(first.result).toMatchObject({ status: 'SUCCEEDED' });
    expect(engine.requests.length - engineBefore).toBe(30);
    expect(maxPaidPerPrompt()).toBe(1);
    // the refused execution left the run alone: its Record Failure did not mark the first one's run failed
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    expect(manifest).toMatchObject({ status: 'succeeded', execution: 'arn:exec:a' });
    expect(manifest.failure).toBeUndefined();
  });

  it('resumes a failed run without repeating paid calls', async () => {
    const bucket = await newBucket(s3);
    const cfg = config({ maxInstances: 50, name: 'resume-model' });
    const runId = runIdFor(RunConfigSchema.parse(cfg));
    // first attempt: the judge keeps rejecting one prompt in three, until the state machine gives up
    judge.options.fault = failEvery(3, Infinity);
    judge.answered.clear();
    const engineBefore = engine.requests.length;
    const first = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl, cacheDir: await sharedCache() });
    expect(first.result).toMatchObject({ status: 'FAILED', error: 'JudgeRowsFailedError' });
    const failed = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    expect(failed.failure!.stage).toBe('judge');
    expect(failed.stages.generate!.status).toBe('succeeded');
    const paidFirst = [...judge.answered.values()].reduce((a, b) => a + b, 0);
    // second attempt: the judge works again
    judge.options.fault = undefined;
    const second = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl, cacheDir: await sharedCache() });
    expect(second.result).toMatchObject({ status: 'SUCCEEDED' });
    expect(engine.requests.length - engineBefore).toBe(50); // generated once
    expect(maxPaidPerPrompt()).toBe(1); // no prompt paid twice
    expect(paidFirst).toBeGreaterThan(0);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    expect(manifest).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(manifest.failure).toBeUndefined();
  });
});

/** Every n-th distinct prompt (by first arrival) fails its first `times` requests with HTTP 500. */
function failEvery(n: number, times: number): NonNullable<FakeOpenAI['options']['fault']> {
  const counts = new Map<string, number>();
  const failing = new Set<string>();
  return (req) => {
    const count = (counts.get(req.promptKey) ?? 0) + 1;
    counts.set(req.promptKey, count);
    if (count === 1 && counts.size % n === 0) failing.add(req.promptKey);
    return failing.has(req.promptKey) && count <= times ? { type: 'status', status: 500 } : undefined;
  };
}

let cache: string | undefined;
async function sharedCache(): Promise<string> {
  cache ??= await mkdtemp(join(tmpdir(), 'aep-wf-shared-'));
  return cache;
}

async function openText(bucket: string, key: string): Promise<string> {
  return (await openBlobStore(`s3://${bucket}/`, { env: s3.env }).get(key))!.toString('utf8');
}
