/**
 * Step "Aggregate Results": merges the judge chunks into `annotations.json` (reference order), computes the
 * official metrics and the LC win rate from the run's own `inputs/`, writes `metrics.json`, `leaderboard.csv` and
 * `lc_glm.json`, and completes the manifest (stage timings, tokens, cost, results).
 */
import { DEFAULT_BOOTSTRAP_REPLICATES } from '../../core/metrics/glm/bootstrap.ts';
import { inThreadRunner } from '../lc-bootstrap.ts';
import { RUN_FILES, judgeChunkKey } from '../../core/run/layout.ts';
import { addStats, emptyStats, type BatchRecord, type JudgeChunkFile, type JudgeChunkStats } from '../../core/run/judge-chunk-file.ts';
import { finishStage, startStage, type RunManifest } from '../../core/run/manifest.ts';
import { aggregate, lcDetails } from '../aggregate.ts';
import type { WorkflowDeps } from './deps.ts';
import { runInputs } from './run-assets.ts';
import { runCalibration } from './run-calibration.ts';
import { driftWarning, type DriftCheck } from '../../core/calibration/drift.ts';
import { RunFolder } from './run-store.ts';
import { judgingDone } from './judge-share.ts';
import { engineUse } from '../../core/judge/engine-use.ts';
import { presetOf } from './judge-step.ts';
import { settleGeneration } from './generation-stage.ts';

export interface AggregateEvent {
  runPrefix: string;
}

export interface AggregateSummary {
  length_controlled_winrate: number;
  lc_standard_error: number;
  win_rate: number;
  standard_error: number;
  n_total: number;
  avg_length: number;
  leaderboard_rank: number | null;
}

/** The chunks count the rows a Batch API job answered as cached: they were paid for by the batch. */
function withBatch(stats: JudgeChunkStats, batch: BatchRecord | undefined): JudgeChunkStats {
  const c = batch?.collected;
  if (!c) return stats;
  return {
    ...stats, paid: stats.paid + c.rows, cached: stats.cached - c.rows, costUsd: stats.costUsd + c.costUsd,
    promptTokens: stats.promptTokens + c.promptTokens, completionTokens: stats.completionTokens + c.completionTokens,
  };
}

async function readChunks(run: RunFolder): Promise<JudgeChunkFile[]> {
  const keys = (await run.store.list(RUN_FILES.judgeDir)).filter((k) => /chunk-\d+\.json$/.test(k)).sort();
  const files: JudgeChunkFile[] = [];
  for (const key of keys) {
    const file = await run.json<JudgeChunkFile>(key);
    if (file) files.push(file);
  }
  files.sort((a, b) => a.chunk.index - b.chunk.index);
  files.forEach((f, i) => {
    if (f.chunk.index !== i) throw new Error(`${run.store.locate(judgeChunkKey(i))} is missing: judge chunk ${i} did not finish`);
  });
  if (files.length === 0) throw new Error(`${run.store.locate(RUN_FILES.judgeDir)} holds no judge chunks: the judge step did not run`);
  return files;
}

export async function aggregateRun(deps: WorkflowDeps, event: AggregateEvent): Promise<AggregateSummary> {
  const run = new RunFolder(deps.store, event.runPrefix);
  const now = () => deps.now().toISOString();
  let manifest: RunManifest = startStage(await run.requireManifest(), 'aggregate', now());

  const chunks = await readChunks(run);
  await judgingDone(deps.store, manifest.runId, deps.now()); // the judge's rate goes back to the runs still judging
  const rows = chunks.flatMap((c) => c.rows);
  const failed = rows.filter((r) => typeof r.judge_error === 'string');
  if (failed.length > 0) throw new Error(`${failed.length} annotation rows have no judgement (first: ${String(failed[0]!.judge_error)}); rerun the run to retry them`);
  const annotationsText = `${JSON.stringify(rows, null, 2)}\n`;
  await run.store.put(RUN_FILES.annotations, annotationsText, { contentType: 'application/json' });

  const config = manifest.config;
  const outputsText = await run.require(RUN_FILES.modelOutputs);
  const calibration = await runCalibration(run);
  const result = await aggregate({
    ...(calibration ? { calibration } : {}),
    annotations: { text: annotationsText, file: run.store.locate(RUN_FILES.annotations) },
    modelOutputs: { text: outputsText, file: run.store.locate(RUN_FILES.modelOutputs) },
    name: config.name ?? undefined,
    assets: runInputs(run, manifest),
    checkInstructionDifficulty: manifest.assets['instruction-difficulty'] !== undefined,
    bootstrap: { replicates: DEFAULT_BOOTSTRAP_REPLICATES, runner: deps.replicateRunner ?? inThreadRunner },
  });
  const drift = calibration ? await run.json<DriftCheck>(RUN_FILES.drift) : undefined;
  if (drift && result.metrics.official_scale) {
    result.metrics.official_scale.drift = drift;
    if (drift.drift) result.metrics.warnings.push(driftWarning(drift));
  }
  await run.putJson(RUN_FILES.metrics, result.metrics);
  await run.store.put(RUN_FILES.leaderboard, result.leaderboardCsv, { contentType: 'text/csv' });
  await run.putJson(RUN_FILES.lcGlm, lcDetails(result.lc));

  const judge = withBatch(chunks.reduce((acc, c) => addStats(acc, c.stats), emptyStats()), await run.json<BatchRecord>(RUN_FILES.judgeBatch));
  const judgeStart = chunks.map((c) => c.startedAt).sort()[0]!;
  const judgeEnd = chunks.map((c) => c.finishedAt).sort().at(-1)!;
  // a GPU judge job records what its engine used (a local engine tells it here); the manifest and report price it
  const engineJob = await run.json<{ engine?: Parameters<typeof engineUse>[1] }>(RUN_FILES.engineJob);
  const used = engineJob?.engine ?? await deps.judgeEngineUse?.();
  const engine = used ? engineUse(presetOf(manifest.config), used) : undefined;
  manifest = { ...manifest, stages: { ...manifest.stages, judge: { status: 'succeeded', startedAt: judgeStart, finishedAt: judgeEnd, seconds: (Date.parse(judgeEnd) - Date.parse(judgeStart)) / 1000, details: { ...judge, chunks: chunks.length, ...(engine ? { engine } : {}) } } } };
  manifest = await settleGeneration(manifest, run);
  const m = result.metrics;
  manifest = {
    ...manifest,
    tokens: { ...manifest.tokens, judgePrompt: judge.promptTokens, judgeCompletion: judge.completionTokens },
    costUsd: { judge: judge.costUsd },
    results: {
      name: m.name, length_controlled_winrate: m.length_controlled_winrate, lc_standard_error: m.lc_standard_error,
      win_rate: m.win_rate, standard_error: m.standard_error, discrete_win_rate: m.discrete_win_rate, n_total: m.n_total,
      avg_length: m.avg_length, leaderboard_rank: m.leaderboard.rank ?? null,
      // which judge actually answered, and the scale of the numbers above
      judge_scale: m.judge.scale, judge_snapshots: Object.keys(m.judge.snapshots).join(', ') || null,
      ...(m.official_scale ? {
        official_scale_lc: m.official_scale.length_controlled_winrate, official_scale_lc_low: m.official_scale.interval[0],
        official_scale_lc_high: m.official_scale.interval[1], official_scale_judge: m.official_scale.calibration.judge,
        ...(m.official_scale.drift ? { judge_drift: m.official_scale.drift.drift ? 'drift' : 'stable', judge_drift_t: m.official_scale.drift.t } : {}),
      } : {}),
    },
  };
  manifest = finishStage(manifest, 'aggregate', now(), { details: { warnings: m.warnings } });
  await run.writeManifest(manifest);
  deps.log.info('run aggregated', { runPrefix: event.runPrefix, lc: m.length_controlled_winrate, winRate: m.win_rate });
  return {
    length_controlled_winrate: m.length_controlled_winrate, lc_standard_error: m.lc_standard_error, win_rate: m.win_rate,
    standard_error: m.standard_error, n_total: m.n_total, avg_length: m.avg_length, leaderboard_rank: m.leaderboard.rank ?? null,
  };
}
