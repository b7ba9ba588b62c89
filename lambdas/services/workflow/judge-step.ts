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
 * One chunk's scheduler settings. Up to `parallelChunks` chunks run at once (the Map state's MaxConcurrency), so each
 * gets that share of the run's RPM/TPM: together they stay within the configured limits. (Two executions of different
 * runs at once each count against their own limits.)
 */
export function schedulerOf(config: RunConfig, overrides: Partial<SchedulerSettings> = {}): SchedulerSettings {
  const share = (limit: number | undefined) => (limit === undefined ? undefined : limit / config.judge.parallelChunks);
  return {
    ...DEFAULT_SCHEDULER_SETTINGS, maxAttempts: 6, attemptTimeoutMs: 60_000, ...overrides,
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

/** Judges rows [start, end) of the run (the last chunk takes any rows beyond) and writes the chunk file. */
export async function judgeRows(deps: JudgeDeps, run: RunFolder, chunk: JudgeChunk, options: { extraPaid?: Parameters<typeof statsOf>[1] } = {}): Promise<JudgeChunkFile> {
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
    ...common, prepared, rowIndices, client: await deps.judgeClient(preset, config), cache: deps.judgeCache, scheduler: schedulerOf(config, deps.judgeScheduler),
    preflight: { baseUrl: config.judge.baseUrl ?? OPENAI_BASE_URL },
  });
  for (const w of result.warnings) deps.log.warn('judge preflight warning', { chunk: chunk.index, warning: w });
  const file: JudgeChunkFile = {
    version: 1, chunk, rows: result.rows as unknown as Record<string, unknown>[], stats: statsOf(result, options.extraPaid),
    startedAt, finishedAt: deps.now().toISOString(),
  };
  await run.putJson(judgeChunkKey(chunk.index), file);
  deps.log.info('judge chunk written', { chunk: chunk.index, ...file.stats });
  if (result.summary.failedRows.length > 0) throw new JudgeRowsFailedError(result.summary.failedRows, { annotationsPath: run.store.locate(judgeChunkKey(chunk.index)) });
  return file;
}

export async function judgeChunkStep(deps: JudgeDeps, event: JudgeChunkEvent): Promise<JudgeChunkStats & { chunk: number; reused: boolean }> {
  const run = new RunFolder(deps.store, event.runPrefix);
  const existing = await run.json<JudgeChunkFile>(judgeChunkKey(event.chunk.index));
  if (existing && existing.stats.failed === 0 && existing.chunk.start === event.chunk.start && existing.chunk.end === event.chunk.end) {
    return { ...existing.stats, chunk: event.chunk.index, reused: true };
  }
  const extraPaid = event.chunk.index === 0 ? await driftWatch(deps, run) : undefined;
  const file = await judgeRows(deps, run, event.chunk, extraPaid ? { extraPaid } : {});
  return { ...file.stats, chunk: event.chunk.index, reused: false };
}

/**
 * Drift watch (with chunk 0, once per run): when the run's calibration stores a drift sample, re-judges it with the
 * run's judge and writes `judge/drift.json`; Aggregate turns a drift into a warning. Its paid rows count in chunk 0.
 */
async function driftWatch(deps: JudgeDeps, run: RunFolder): Promise<Parameters<typeof statsOf>[1] | undefined> {
  const calibration = await runCalibration(run);
  const sample = calibration?.doc.drift_sample;
  if (!sample) return undefined;
  const manifest = await run.requireManifest();
  const config = manifest.config;
  const preset = presetOf(config);
  const { check, summary } = await judgeDriftSample(sample, {
    assets: runInputs(run, manifest), preset, client: await deps.judgeClient(preset, config), cache: deps.judgeCache, scheduler: schedulerOf(config, deps.judgeScheduler),
  });
  await run.putJson(RUN_FILES.drift, { ...check, requests: summary.requests, cached: summary.cached, cost_usd: summary.costUsd });
  deps.log.info('drift sample judged', { drift: check.drift, t: check.t, paid: summary.judged });
  return { rows: summary.judged, cost: summary.costUsd ?? 0, prompt: summary.promptTokens, completion: summary.completionTokens };
}
