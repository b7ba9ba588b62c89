/**
 * The judge use case: inputs → jobs → judgements (cache, Batch API, real time) → `annotations.json` rows in
 * reference order → summary. Can judge a chunk (a subset of row indices) for the Step Functions fan-out; the rows
 * returned are then that chunk's, in the order of the indices given.
 */
import type { JudgePreset } from '../../core/judge/presets.ts';
import type { ChatMessage } from '../../core/judge/prompt.ts';
import { UsageError } from '../../core/errors.ts';
import { assembleAnnotationRows, failedRows, type JudgeAnnotationRow } from './annotation-rows.ts';
import type { Clock } from './clock.ts';
import { judgeJobs, type BatchModeOptions } from './judge-jobs.ts';
import { loadJudgeRun, type JudgeAssetSource, type LoadedJudgeRun } from './prepare.ts';
import type { JudgeSummary, JudgeTally } from './progress.ts';
import type { SchedulerSettings } from './scheduler.ts';
import type { JudgeCache, JudgeClient } from './types.ts';

export interface JudgeRunOptions {
  assets: JudgeAssetSource;
  modelOutputs: { text: string; fileName: string };
  preset: JudgePreset;
  name?: string | undefined;
  maxInstances?: number | undefined;
  /** Judge only these 0-based annotation rows (a chunk); default all. */
  rowIndices?: readonly number[] | undefined;
  /** Inputs already loaded by the caller (it needed the row count to pick `rowIndices`): not loaded again. */
  prepared?: LoadedJudgeRun | undefined;
  client: JudgeClient;
  cache: JudgeCache;
  scheduler: SchedulerSettings;
  batch?: BatchModeOptions | undefined;
  countTokens?: (messages: readonly ChatMessage[]) => number;
  clock?: Clock;
  random?: () => number;
  onProgress?: (tally: Readonly<JudgeTally>) => void;
  signal?: AbortSignal;
}

export interface JudgeRunResult {
  rows: JudgeAnnotationRow[];
  summary: JudgeSummary;
  prepared: LoadedJudgeRun;
}

function selectJobs(prepared: LoadedJudgeRun, indices: readonly number[] | undefined) {
  if (indices === undefined) return prepared.jobs;
  return indices.map((i) => {
    const job = prepared.jobs[i];
    if (!job) throw new UsageError(`row index ${i} is outside the ${prepared.jobs.length} matched rows`);
    return job;
  });
}

export async function judgeRun(options: JudgeRunOptions): Promise<JudgeRunResult> {
  const prepared = options.prepared ?? await loadJudgeRun({
    assets: options.assets,
    modelOutputs: options.modelOutputs,
    preset: options.preset,
    name: options.name,
    maxInstances: options.maxInstances,
  });
  const jobs = selectJobs(prepared, options.rowIndices);
  const { judgements, tally } = await judgeJobs({
    jobs,
    preset: options.preset,
    client: options.client,
    cache: options.cache,
    scheduler: options.scheduler,
    batch: options.batch,
    ...(options.countTokens ? { countTokens: options.countTokens } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const rows = assembleAnnotationRows({
    rows: prepared.rows, jobs, judgements, annotator: options.preset.name, modelName: prepared.modelName,
  });
  const failed = failedRows(rows, jobs);
  const s = tally.scheduler;
  const summary: JudgeSummary = {
    annotator: options.preset.name,
    judgeModel: options.preset.model,
    comparableToLeaderboard: options.preset.comparableToLeaderboard && prepared.officialTemplate,
    mode: options.batch ? 'batch' : 'real-time',
    rows: rows.length,
    identical: tally.identical,
    cached: tally.cached,
    judged: tally.judged,
    nan: tally.nan,
    failed: failed.length,
    requests: (s?.attempts ?? 0) + (tally.batch ? tally.batch.total : 0),
    retries: s?.retries ?? 0,
    rateLimited: s?.rateLimited ?? 0,
    promptTokens: tally.promptTokens,
    completionTokens: tally.completionTokens,
    costUsd: tally.costKnown ? tally.costUsd : null,
    wallTimeMs: tally.elapsedMs,
    ...(tally.batch ? { batch: { id: tally.batch.id, status: tally.batch.status, retriedRealTime: tally.batchRetried } } : {}),
    match: prepared.match,
    maxInstances: prepared.maxInstances,
    evalSetSha256: prepared.evalSetSha256,
    templateSha256: prepared.templateSha256,
    officialTemplate: prepared.officialTemplate,
    failedRows: failed,
  };
  return { rows, summary, prepared };
}
