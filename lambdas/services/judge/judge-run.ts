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
import type { JudgeCache, JudgeClient, RawCompletion } from './types.ts';
import { JudgePreflightError } from './errors.ts';
import { checkJudgeModel, probeProblem } from './preflight.ts';

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
  /** See `JudgeJobsOptions.timeBudgetMs`: rows not reached in time are failed rows, counted in `summary.deferred`. */
  timeBudgetMs?: number;
  /**
   * Judge preflight (on by default): when some row needs buying, ask `baseUrl` whether it serves the model, then judge
   * the first such row alone and check its answer suits the parser before sending any other.
   */
  preflight?: { baseUrl: string; now?: Date } | false;
}

export interface JudgeRunResult {
  /** Preflight warnings (a near or past shutdown, no models API). */
  warnings: string[];
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

/** How many judged rows each answering snapshot (`judge_model_snapshot`) judged. */
export function snapshotCounts(rows: readonly { judge_model_snapshot?: string | undefined }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) if (r.judge_model_snapshot) out[r.judge_model_snapshot] = (out[r.judge_model_snapshot] ?? 0) + 1;
  return out;
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
  const warnings: string[] = [];
  const pf = options.preflight;
  const probe = pf === false ? undefined : {
    before: async () => {
      const checked = await checkJudgeModel({
        client: options.client, preset: options.preset, baseUrl: pf?.baseUrl ?? 'the judge endpoint',
        ...(pf?.now ? { now: pf.now } : {}), ...(options.signal ? { signal: options.signal } : {}),
      });
      warnings.push(...checked.warnings);
    },
    check: (raw: RawCompletion) => probeProblem(raw, options.preset),
    fail: (problem: string) => new JudgePreflightError({ model: options.client.model, baseUrl: pf?.baseUrl ?? 'the judge endpoint', problem }),
  };
  const { judgements, tally } = await judgeJobs({
    probe,
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
    ...(options.timeBudgetMs !== undefined ? { timeBudgetMs: options.timeBudgetMs } : {}),
  });
  const rows = assembleAnnotationRows({
    rows: prepared.rows, jobs, judgements, annotator: options.preset.name, modelName: prepared.modelName,
    parser: options.preset.parser.kind,
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
    ...(tally.deferred > 0 ? { deferred: tally.deferred } : {}),
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
    snapshots: snapshotCounts(rows),
    warnings,
  };
  return { rows, summary, prepared, warnings };
}
