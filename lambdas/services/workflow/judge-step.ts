/**
 * Step "Judge Chunk" (one Lambda per chunk of rows, fanned out by the Map state) and the shared pieces of the
 * Batch API branch. Nothing already paid for is paid for twice: judgements come from the content-addressed cache,
 * a chunk whose file is complete returns at once, and rows that still fail make the chunk throw
 * `JudgeRowsFailedError` (after writing its file) so the state machine retries only what is missing.
 */
import { DEFAULT_JUDGE_PRESET, OPENAI_BASE_URL, resolveJudge, type JudgePreset } from '../../core/judge/presets.ts';
import { emptyStats, type JudgeChunkFile, type JudgeChunkStats } from '../../core/run/judge-chunk-file.ts';
import { judgeChunkKey, RUN_FILES, type JudgeChunk } from '../../core/run/layout.ts';
import { displayName, type RunConfig } from '../../core/run/run-config.ts';
import { JudgeRowsFailedError } from '../judge/errors.ts';
import { judgeRun, type JudgeRunResult } from '../judge/judge-run.ts';
import { loadJudgeRun } from '../judge/prepare.ts';
import { DEFAULT_SCHEDULER_SETTINGS, type SchedulerSettings } from '../judge/scheduler.ts';
import type { BatchJudgeClient, JudgeCache, JudgeClient } from '../judge/types.ts';
import type { WorkflowDeps } from './deps.ts';
import { runInputs } from './run-assets.ts';
import { RunFolder } from './run-store.ts';
import { runCalibration } from './run-calibration.ts';
import { judgeDriftSample } from '../calibrate.ts';
import { judgingRuns } from './judge-share.ts';

/** Judge access on top of the workflow's dependencies. */
export interface JudgeDeps extends WorkflowDeps {
  judgeClient(preset: JudgePreset, config: RunConfig): Promise<JudgeClient>;
  batchClient(preset: JudgePreset, config: RunConfig): Promise<BatchJudgeClient>;
  judgeCache: JudgeCache;
  /** Overrides of the judge's retry and timeout settings (tests use short backoffs). */
  judgeScheduler?: Partial<SchedulerSettings>;
}

export interface JudgeChunkEvent {
  runPrefix: string;
  chunk: JudgeChunk;
}

/** The model name of a workflow run: the configured name, the given outputs' generator, or the model's name. */
export function runModelName(config: RunConfig): string | undefined {
  return config.name ?? (config.modelOutputs ? undefined : displayName(config));
}

/**
 * The judge applies the official `max_instances` rule only to given outputs: generated outputs already are the
 * subset (the generator applied the rule), and are matched to the eval set by instruction.
 */
export function judgeMaxInstances(config: RunConfig): number | undefined {
  return config.modelOutputs ? config.maxInstances : undefined;
}

export function presetOf(config: RunConfig): JudgePreset {
  // the schema fills in the default preset: with only a model given (--judge-model) the model decides
  const onlyModel = config.judge.model && config.judge.preset === DEFAULT_JUDGE_PRESET;
  return resolveJudge({ ...(onlyModel ? {} : { judge: config.judge.preset }), ...(config.judge.model ? { judgeModel: config.judge.model } : {}) });
}

/**
 * One chunk's scheduler settings. Up to `parallelChunks` chunks run at once (the Map state's MaxConcurrency), and
 * `runs` runs are judging at once (`judge-share.ts`), so each chunk gets its share of the configured RPM/TPM: together
 * they stay within the limits.
 */
export function schedulerOf(config: RunConfig, overrides: Partial<SchedulerSettings> = {}, runs = 1): SchedulerSettings {
  const share = (limit: number | undefined) => (limit === undefined ? undefined : limit / (config.judge.parallelChunks * runs));
  return {
    ...DEFAULT_SCHEDULER_SETTINGS, maxAttempts: 6, attemptTimeoutMs: config.judge.requestTimeoutSeconds * 1000, ...overrides,
    concurrency: config.judge.concurrency, rpm: share(config.judge.rpm), tpm: share(config.judge.tpm),
  };
}

/** What a judge result adds up to, for the chunk file and the manifest. */
export function statsOf(result: JudgeRunResult, extraPaid = { rows: 0, cost: 0, prompt: 0, completion: 0 }): JudgeChunkStats {
  const s = result.summary;
  return {
    ...emptyStats(),
    rows: s.rows, paid: s.judged + extraPaid.rows, cached: s.cached - extraPaid.rows, identical: s.identical, failed: s.failed,
    promptTokens: s.promptTokens + extraPaid.prompt, completionTokens: s.completionTokens + extraPaid.completion,
    costUsd: (s.costUsd ?? 0) + extraPaid.cost,
  };
}

/**
 * The time a chunk may judge for, given the Lambda's remaining time: all of it but what writing the chunk file and
 * returning need (a tenth, at most 20 s).
 */
export function chunkTimeBudgetMs(remainingMs: number): number {
  return remainingMs - Math.min(20_000, remainingMs / 10);
}

export interface JudgeRowsOptions {
  /** Paid elsewhere for this chunk (the drift sample, an earlier invocation), added to the file's stats. */
  extraPaid?: Parameters<typeof statsOf>[1] | undefined;
  /** `Date.now()` time by which the rows must be judged and the file written (see `chunkTimeBudgetMs`); default none. */
  deadline?: number | undefined;
  /** Runs judging at once, this one included (`judge-share.ts`): the chunk's rate share is divided by it. */
  runs?: number | undefined;
}

/** A chunk file and what this invocation did. */
export interface JudgedRows {
  file: JudgeChunkFile;
  /** Rows never tried because the time budget ran out: handed back (the chunk is not done). */
  deferred: number;
}

/**
 * Judges rows [start, end) of the run (the last chunk takes any rows beyond) and writes the chunk file. Rows that
 * failed make it throw `JudgeRowsFailedError` (after writing the file); rows the time budget did not reach are handed
 * back (`deferred`) unless none was judged at all, which throws too, so a chunk never loops without progress.
 */
export async function judgeRows(deps: JudgeDeps, run: RunFolder, chunk: JudgeChunk, options: JudgeRowsOptions = {}): Promise<JudgedRows> {
  const startedAt = deps.now().toISOString();
  const manifest = await run.requireManifest();
  const config = manifest.config;
  const preset = presetOf(config);
  const assets = runInputs(run, manifest);
  const modelOutputs = { text: await run.require(RUN_FILES.modelOutputs), fileName: run.store.locate(RUN_FILES.modelOutputs) };
  const common = { assets, modelOutputs, preset, name: runModelName(config), maxInstances: judgeMaxInstances(config) };
  const prepared = await loadJudgeRun(common);
  const end = chunk.last ? prepared.jobs.length : Math.min(chunk.end, prepared.jobs.length);
  const rowIndices = Array.from({ length: Math.max(0, end - chunk.start) }, (_, i) => chunk.start + i);
  const result = await judgeRun({
    ...common, prepared, rowIndices, client: await deps.judgeClient(preset, config), cache: deps.judgeCache, scheduler: schedulerOf(config, deps.judgeScheduler, options.runs),
    preflight: { baseUrl: config.judge.baseUrl ?? OPENAI_BASE_URL },
    // what loading took is spent: the judge gets what is left
    ...(options.deadline !== undefined ? { timeBudgetMs: options.deadline - Date.now() } : {}),
  });
  for (const w of result.warnings) deps.log.warn('judge preflight warning', { chunk: chunk.index, warning: w });
  const file: JudgeChunkFile = {
    version: 1, chunk, rows: result.rows as unknown as Record<string, unknown>[], stats: statsOf(result, options.extraPaid),
    startedAt, finishedAt: deps.now().toISOString(),
  };
  await run.putJson(judgeChunkKey(chunk.index), file);
  const deferred = result.summary.deferred ?? 0;
  deps.log.info('judge chunk written', { chunk: chunk.index, ...file.stats, ...(deferred ? { deferred } : {}) });
  const failed = result.summary.failedRows.length;
  if (failed > deferred || (deferred > 0 && result.summary.judged === 0)) {
    throw new JudgeRowsFailedError(result.summary.failedRows, { annotationsPath: run.store.locate(judgeChunkKey(chunk.index)) });
  }
  return { file, deferred };
}

export interface JudgeChunkStepOptions {
  /** Milliseconds this invocation may judge for: the Lambda's remaining time through `chunkTimeBudgetMs`. */
  timeBudgetMs?: number | undefined;
}

/** What a chunk invocation returns: its stats so far, and `done: false` when rows were handed back for another turn. */
export type JudgeChunkResult = JudgeChunkStats & { chunk: number; reused: boolean; done: boolean; deferred: number };

export async function judgeChunkStep(deps: JudgeDeps, event: JudgeChunkEvent, options: JudgeChunkStepOptions = {}): Promise<JudgeChunkResult> {
  const deadline = options.timeBudgetMs === undefined ? undefined : Date.now() + options.timeBudgetMs;
  const run = new RunFolder(deps.store, event.runPrefix);
  const existing = await run.json<JudgeChunkFile>(judgeChunkKey(event.chunk.index));
  const sameChunk = existing && existing.chunk.start === event.chunk.start && existing.chunk.end === event.chunk.end;
  if (sameChunk && existing.stats.failed === 0) {
    return { ...existing.stats, chunk: event.chunk.index, reused: true, done: true, deferred: 0 };
  }
  // this turn's share of the judge's rate: the runs judging now, this one included
  const runs = await judgingRuns(deps.store, (await run.requireManifest()).runId, deps.now());
  // what earlier invocations of this chunk paid (now cached) still counts as paid; chunk 0 also pays the drift sample
  const paid = sameChunk ? paidOf(existing.stats) : event.chunk.index === 0 ? await driftWatch(deps, run, runs) : undefined;
  const { file, deferred } = await judgeRows(deps, run, event.chunk, { extraPaid: paid, deadline, runs });
  if (runs > 1) deps.log.info('judge rate shared with other runs', { chunk: event.chunk.index, runs });
  return { ...file.stats, chunk: event.chunk.index, reused: false, done: deferred === 0, deferred };
}

/** The paid part of a chunk file's stats, to carry into the next invocation of the chunk. */
function paidOf(stats: JudgeChunkStats): NonNullable<JudgeRowsOptions['extraPaid']> {
  return { rows: stats.paid, cost: stats.costUsd, prompt: stats.promptTokens, completion: stats.completionTokens };
}

/**
 * Drift watch (with chunk 0, once per run): when the run's calibration stores a drift sample, re-judges it with the
 * run's judge and writes `judge/drift.json`; Aggregate turns a drift into a warning. Its paid rows count in chunk 0.
 */
async function driftWatch(deps: JudgeDeps, run: RunFolder, runs: number): Promise<Parameters<typeof statsOf>[1] | undefined> {
  const calibration = await runCalibration(run);
  const sample = calibration?.doc.drift_sample;
  if (!sample) return undefined;
  const manifest = await run.requireManifest();
  const config = manifest.config;
  const preset = presetOf(config);
  const { check, summary } = await judgeDriftSample(sample, {
    assets: runInputs(run, manifest), preset, client: await deps.judgeClient(preset, config), cache: deps.judgeCache, scheduler: schedulerOf(config, deps.judgeScheduler, runs),
  });
  await run.putJson(RUN_FILES.drift, { ...check, requests: summary.requests, cached: summary.cached, cost_usd: summary.costUsd });
  deps.log.info('drift sample judged', { drift: check.drift, t: check.t, paid: summary.judged });
  return { rows: summary.judged, cost: summary.costUsd ?? 0, prompt: summary.promptTokens, completion: summary.completionTokens };
}
