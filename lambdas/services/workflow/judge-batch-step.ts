/**
 * The Batch API branch of the judge (half price, results within 24 h): "Submit Judge Batch" uploads every row that
 * is neither identical nor cached as one OpenAI batch; "Check Judge Batch" polls it (the state machine waits in
 * between, so no Lambda sits idle) and, once it ends, caches what it answered and records what that cost. The state
 * machine then runs the same chunked, retried, time-budgeted "Judge Chunks" as the real-time branch: each chunk
 * finds the batch's answers in the cache and buys only what the batch left. Both steps are idempotent: the batch id
 * and what was collected are kept in `judge/batch.json`.
 */
import type { BatchCollected, BatchRecord } from '../../core/run/judge-chunk-file.ts';
import { RUN_FILES } from '../../core/run/layout.ts';
import { judgementFromOutcome, cacheEntryOf } from '../judge/judgement.ts';
import { loadJudgeRun } from '../judge/prepare.ts';
import { judgeMaxInstances, presetOf, runModelName, type JudgeDeps } from './judge-step.ts';
import { runInputs } from './run-assets.ts';
import { RunFolder } from './run-store.ts';

const BATCH_FILE = RUN_FILES.judgeBatch;
const FIRST_WAIT_SECONDS = 60;
const MAX_WAIT_SECONDS = 900;

export interface BatchState {
  done: boolean;
  waitSeconds: number;
  batchId?: string;
  status?: string;
}

export interface JudgeBatchEvent {
  action: 'submit' | 'check';
  runPrefix: string;
  batch?: BatchState;
}

async function pending(deps: JudgeDeps, run: RunFolder) {
  const manifest = await run.requireManifest();
  const config = manifest.config;
  const preset = presetOf(config);
  const loaded = await loadJudgeRun({
    assets: runInputs(run, manifest), preset, name: runModelName(config), maxInstances: judgeMaxInstances(config),
    modelOutputs: { text: await run.require(RUN_FILES.modelOutputs), fileName: run.store.locate(RUN_FILES.modelOutputs) },
  });
  const seen = new Set<string>();
  const requests = [];
  for (const job of loaded.jobs) {
    if (job.identical || seen.has(job.key)) continue;
    seen.add(job.key);
    if (!(await deps.judgeCache.get(job.key))) requests.push({ customId: job.key, messages: job.messages });
  }
  return { config, preset, requests };
}

export async function submitJudgeBatch(deps: JudgeDeps, event: JudgeBatchEvent): Promise<BatchState> {
  const run = new RunFolder(deps.store, event.runPrefix);
  const recorded = await run.json<BatchRecord>(BATCH_FILE);
  if (recorded) return { done: false, waitSeconds: 0, batchId: recorded.batchId, status: 'resumed' };
  const { config, preset, requests } = await pending(deps, run);
  if (requests.length === 0) return { done: false, waitSeconds: 0, status: 'nothing-to-submit' };
  const client = await deps.batchClient(preset, config);
  const { batchId } = await client.submit(requests);
  await run.putJson(BATCH_FILE, { batchId, requests: requests.length, submittedAt: deps.now().toISOString() } satisfies BatchRecord);
  deps.log.info('judge batch submitted', { batchId, requests: requests.length });
  return { done: false, waitSeconds: FIRST_WAIT_SECONDS, batchId, status: 'submitted' };
}

export async function checkJudgeBatch(deps: JudgeDeps, event: JudgeBatchEvent): Promise<BatchState> {
  const run = new RunFolder(deps.store, event.runPrefix);
  const prev = event.batch;
  if (!prev?.batchId) return { done: true, waitSeconds: 0, status: 'nothing-submitted' };
  const record = await run.json<BatchRecord>(BATCH_FILE);
  if (record?.collected) return { done: true, waitSeconds: 0, batchId: prev.batchId, status: 'collected' };
  const manifest = await run.requireManifest();
  const config = manifest.config;
  const preset = presetOf(config);
  const client = await deps.batchClient(preset, config);
  const status = await client.status(prev.batchId);
  if (!status.terminal) {
    return { done: false, waitSeconds: Math.min(MAX_WAIT_SECONDS, Math.max(FIRST_WAIT_SECONDS, Math.round(prev.waitSeconds * 1.5))), batchId: prev.batchId, status: status.status };
  }
  const collected: BatchCollected = { rows: 0, costUsd: 0, promptTokens: 0, completionTokens: 0, status: status.status, collectedAt: '' };
  const outcomes = await client.results(status);
  for (const [key, outcome] of outcomes) {
    if (!outcome.ok || (await deps.judgeCache.get(key))) continue;
    const judgement = judgementFromOutcome({ outcome, preset, via: 'batch', attempts: 1 });
    await deps.judgeCache.put(cacheEntryOf({ key, judgement, judgeModel: preset.model, now: deps.now() }));
    collected.rows++;
    collected.costUsd += judgement.costUsd ?? 0;
    collected.promptTokens += judgement.usage?.prompt_tokens ?? 0;
    collected.completionTokens += judgement.usage?.completion_tokens ?? 0;
  }
  collected.collectedAt = deps.now().toISOString();
  await run.putJson(BATCH_FILE, { ...(record ?? { batchId: prev.batchId, requests: outcomes.size, submittedAt: collected.collectedAt }), collected } satisfies BatchRecord);
  deps.log.info('judge batch collected', { batchId: prev.batchId, status: status.status, answered: collected.rows, left: outcomes.size - collected.rows });
  // what the batch did not answer is bought by the Judge Chunks that follow, chunked and retried
  return { done: true, waitSeconds: 0, batchId: prev.batchId, status: 'collected' };
}

export function judgeBatchStep(deps: JudgeDeps, event: JudgeBatchEvent): Promise<BatchState> {
  return event.action === 'submit' ? submitJudgeBatch(deps, event) : checkJudgeBatch(deps, event);
}

