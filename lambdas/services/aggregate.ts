/**
 * Aggregation: annotations (+ model outputs) → the ten official metrics, the LC GLM details with its
 * C-sensitivity band, and the leaderboard with the model inserted. Used by `aep aggregate`, the aggregate
 * Lambda and the local workflow. Reads assets through the AssetSource port; does no other I/O.
 */
import { judgeIdentity, OFFICIAL_SCALE, type JudgeIdentity } from '../core/judge/scale.ts';
import { parseAnnotations, type AnnotationRow } from '../core/annotations.ts';
import { parseModelOutputs } from '../core/eval-set/schema.ts';
import { difficultyByRowNumber } from '../core/metrics/glm/features.ts';
import { parseGamedTable, parseInstructionDifficulty } from '../core/metrics/glm/gamed-table.ts';
import type { FoldOrder } from '../core/metrics/glm/group-kfold.ts';
import { lengthControlledWinRate, type LcResult } from '../core/metrics/glm/length-controlled.ts';
import { averageLength, winRateMetrics, type WinRateMetrics } from '../core/metrics/win-rate.ts';
import { formatLeaderboard, insertIntoLeaderboard, parseLeaderboard, rankOf } from '../core/report/leaderboard.ts';
import type { AssetProvenance, AssetSource } from '../ports.ts';
import { modelIntervals, type BootstrapInfo, type BootstrapSettings } from './lc-bootstrap.ts';
import { officialScale, type CalibrationDocument, type OfficialScaleBlock } from '../core/calibration/document.ts';

/** The ten metric names of the official leaderboard row (plus `mode`). */
export interface OfficialMetrics extends WinRateMetrics {
  avg_length: number;
  length_controlled_winrate: number;
  lc_standard_error: number;
}

export interface MetricsDocument extends OfficialMetrics {
  name: string;
  baseline: string;
  annotator: string | null;
  n_rows: number;
  n_failed_annotations: number;
  avg_length_source: 'model_outputs' | 'annotations.output_2';
  /** LC re-fitted at the neighbouring regularisation strengths of the grid. */
  lc_sensitivity: { C: number | null; band: [number, number]; neighbours: { C: number; length_controlled_winrate: number }[] };
  lc_glm: {
    C: number | null;
    coefficients: Record<string, number>;
    cv_best_minus_second: number | null;
    fold_order: FoldOrder;
  };
  extreme_change_warning: boolean;
  /** 95 % bootstrap interval of LC over instructions, GLM refitted per replicate (null: bootstrap off) */
  length_controlled_winrate_ci95: [number, number] | null;
  /** 95 % bootstrap interval of the raw win rate over instructions (null: bootstrap off) */
  win_rate_ci95: [number, number] | null;
  bootstrap: BootstrapInfo | null;
  leaderboard: { rank: number | undefined; size: number; added: boolean; scale: string };
  /** Which judge the numbers above come from, and their scale (`alpaca_eval_2` only for the leaderboard's judge). */
  judge: JudgeIdentity;
  assets: Record<string, AssetProvenance & { agrees_with_gamed?: boolean; max_abs_diff?: number }>;
  warnings: string[];
  /** Another judge's numbers carried to the official scale by a calibration (`--calibration`), with their interval. */
  official_scale?: OfficialScaleBlock;
}

export interface AggregateInput {
  annotations: { text: string; file: string };
  modelOutputs?: { text: string; file: string };
  /** Leaderboard name of the model; default: the model outputs' generator, else the annotations' generator_2. */
  name?: string;
  assets: AssetSource;
  foldOrder?: FoldOrder;
  /** Check the gamed table's difficulties against instruction_difficulty.csv (default true; failure to get it only warns). */
  checkInstructionDifficulty?: boolean;
  /** Bootstrap intervals of LC and win rate (absent or replicates 0: none). */
  bootstrap?: BootstrapSettings;
  /** A calibration of this run's judge: metrics get `official_scale`, the leaderboard row is on the official scale. */
  calibration?: { doc: CalibrationDocument; path: string; sha256: string };
}

export interface AggregateOutput {
  metrics: MetricsDocument;
  lc: LcResult;
  leaderboardCsv: string;
  /** The annotation rows with `glm_preference` added, as the official recompute writes them. */
  annotations: (AnnotationRow & { glm_preference: number })[];
}

export async function aggregate(input: AggregateInput): Promise<AggregateOutput> {
  const warnings: string[] = [];
  const parsed = parseAnnotations(input.annotations.text, input.annotations.file);
  const outputs = input.modelOutputs ? parseModelOutputs(input.modelOutputs.text, input.modelOutputs.file) : undefined;
  const name = input.name ?? outputs?.generator ?? parsed.model;
  const prefs = parsed.rows.map((r) => r.preference);
  const wr = winRateMetrics(prefs);

  const gamed = await input.assets.text('gamed');
  const gamedRows = parseGamedTable(gamed.text, gamed.asset.source);
  const assets: MetricsDocument['assets'] = { gamed: provenance(gamed.asset) };
  if (input.checkInstructionDifficulty !== false) {
    await checkDifficulty(input.assets, gamedRows, assets, warnings);
  }

  const lc = lengthControlledWinRate({ annotations: parsed.rows, gamed: gamedRows, winRate: wr.win_rate }, { foldOrder: input.foldOrder ?? 'stable' });
  if (lc.extremeChange.warn) {
    warnings.push(`Length controlled win rate is very different from the raw one: ${lc.lengthControlledWinrate.toFixed(1)}% vs ${wr.win_rate.toFixed(1)}%. This might be a sign of failure of the GLM.`);
  }
  const avgLength = outputs ? averageLength(outputs.rows.map((r) => r.output)) : averageLength(parsed.rows.map((r) => r.output_2));
  const official: OfficialMetrics = {
    ...wr, avg_length: avgLength, length_controlled_winrate: lc.lengthControlledWinrate, lc_standard_error: lc.lcStandardError,
  };

  const boot = input.bootstrap && input.bootstrap.replicates > 0
    ? await modelIntervals(parsed.rows, gamedRows, lc, input.bootstrap)
    : null;
  const ciColumns: Record<string, number> = boot
    ? {
      length_controlled_winrate_ci95_low: boot.length_controlled_winrate_ci95[0], length_controlled_winrate_ci95_high: boot.length_controlled_winrate_ci95[1],
      win_rate_ci95_low: boot.win_rate_ci95[0], win_rate_ci95_high: boot.win_rate_ci95[1],
    }
    : {};

  const judge = judgeIdentity(parsed.annotator, parsed.rows);
  if (judge.scale === OFFICIAL_SCALE && input.calibration) {
    warnings.push('the calibration was not used: these annotations come from the leaderboard\'s judge, already on the official scale');
  }
  const scaled = input.calibration && judge.scale !== OFFICIAL_SCALE
    ? officialScale(input.calibration.doc, official, { path: input.calibration.path, sha256: input.calibration.sha256 })
    : undefined;

  const lb = await input.assets.text('leaderboard');
  assets.leaderboard = provenance(lb.asset);
  const officialBoard = parseLeaderboard(lb.text, lb.asset.source);
  let board = officialBoard;
  let added = false;
  if (judge.scale === OFFICIAL_SCALE) {
    ({ board, added } = insertIntoLeaderboard(officialBoard, name, {
      win_rate: official.win_rate, standard_error: official.standard_error, n_wins: official.n_wins, n_wins_base: official.n_wins_base,
      n_draws: official.n_draws, n_total: official.n_total, discrete_win_rate: official.discrete_win_rate, mode: 'community',
      avg_length: official.avg_length, length_controlled_winrate: official.length_controlled_winrate, lc_standard_error: official.lc_standard_error,
      ...ciColumns,
    }));
  } else if (scaled) {
    // one scale on the board: the official-scale estimate, marked as such; the judge-scale numbers stay in metrics.json
    ({ board, added } = insertIntoLeaderboard(officialBoard, name, {
      win_rate: scaled.win_rate ?? NaN, standard_error: NaN, n_wins: official.n_wins, n_wins_base: official.n_wins_base,
      n_draws: official.n_draws, n_total: official.n_total, discrete_win_rate: NaN, mode: 'community-official-scale-estimate',
      avg_length: official.avg_length, length_controlled_winrate: scaled.length_controlled_winrate, lc_standard_error: NaN,
    }));
    warnings.push(`judge-scale LC ${official.length_controlled_winrate.toFixed(1)} is on the scale of ${judge.scale}; its official-scale estimate is ${scaled.length_controlled_winrate.toFixed(1)} (${Math.round(scaled.level * 100)} % interval ${scaled.interval[0].toFixed(1)}–${scaled.interval[1].toFixed(1)})`);
  } else {
    warnings.push(`judged by ${judge.scale.slice('judge:'.length)}, not the leaderboard's judge: these numbers are on that judge's scale, so "${name}" is not added to the official leaderboard; give a calibration (aep calibrate, --calibration) for an official-scale estimate`);
  }
  if (!added && (judge.scale === OFFICIAL_SCALE || scaled)) warnings.push(`"${name}" is already on the official leaderboard; its official row was kept (pass another --name to add this run)`);

  const neighbours = lc.sensitivity.map((s) => ({ C: s.C, length_controlled_winrate: s.lengthControlledWinrate }));
  const all = [lc.lengthControlledWinrate, ...neighbours.map((n) => n.length_controlled_winrate)];
  const metrics: MetricsDocument = {
    name, ...official, baseline: parsed.baseline, annotator: parsed.annotator ?? null, n_rows: parsed.rows.length,
    n_failed_annotations: prefs.filter((p) => p === null).length,
    avg_length_source: outputs ? 'model_outputs' : 'annotations.output_2',
    lc_sensitivity: { C: lc.C, band: [Math.min(...all), Math.max(...all)], neighbours },
    lc_glm: { C: lc.C, coefficients: lc.coefficients, cv_best_minus_second: lc.cv?.bestMinusSecond ?? null, fold_order: input.foldOrder ?? 'stable' },
    extreme_change_warning: lc.extremeChange.warn,
    length_controlled_winrate_ci95: boot?.length_controlled_winrate_ci95 ?? null,
    win_rate_ci95: boot?.win_rate_ci95 ?? null,
    bootstrap: boot?.bootstrap ?? null,
    leaderboard: { rank: added ? rankOf(board, name) : undefined, size: board.rows.length, added, scale: OFFICIAL_SCALE },
    judge,
    assets, warnings,
    ...(scaled ? { official_scale: scaled } : {}),
  };
  const annotations = parsed.rows.map((r, i) => ({ ...r, glm_preference: lc.glmPreference[i]! }));
  return { metrics, lc, leaderboardCsv: formatLeaderboard(board), annotations };
}

/** Checks df_gamed.csv's difficulties against instruction_difficulty.csv; records provenance and agreement in `assets`. */
export async function checkDifficulty(
  source: AssetSource,
  gamedRows: ReturnType<typeof parseGamedTable>,
  assets: MetricsDocument['assets'],
  warnings: string[],
): Promise<void> {
  let got;
  try {
    got = await source.text('instruction-difficulty');
  } catch (err) {
    warnings.push(`instruction_difficulty.csv not checked against df_gamed.csv: ${(err as Error).message}`);
    return;
  }
  const table = parseInstructionDifficulty(got.text, got.asset.source);
  const fromGamed = difficultyByRowNumber(gamedRows);
  let maxDiff = 0;
  let agrees = true;
  for (const [index, value] of table) {
    const g = fromGamed.get(index);
    if (g === undefined) {
      agrees = false;
      continue;
    }
    maxDiff = Math.max(maxDiff, Math.abs(g - value));
  }
  agrees &&= maxDiff <= 1e-12 && table.size === fromGamed.size;
  assets['instruction-difficulty'] = { ...provenance(got.asset), agrees_with_gamed: agrees, max_abs_diff: maxDiff };
  if (!agrees) {
    warnings.push(`instruction_difficulty.csv disagrees with the difficulties in df_gamed.csv (max |Δ| = ${maxDiff}); the LC uses df_gamed.csv, as the official tool does`);
  }
}

/** Only the recorded facts of an asset (the resolver's object also carries its bytes). */
export function provenance(a: AssetProvenance): AssetProvenance {
  const { name, source, origin, sha256, pinnedSha256, matchesPin, fromCache } = a;
  return { name, source, origin, sha256, pinnedSha256, matchesPin, fromCache };
}

/** The LC fit in full (cross-validation table, seeds, sensitivity, per-row predictions), for `lc_glm.json`. */
export function lcDetails(lc: LcResult) {
  return {
    model: lc.model, baseline: lc.baseline, is_baseline: lc.isBaseline,
    length_controlled_winrate: lc.lengthControlledWinrate, lc_standard_error: lc.lcStandardError,
    C: lc.C, C_index: lc.cIndex, coefficients: lc.coefficients, n_train_rows: lc.nTrainRows,
    cv: lc.cv && {
      Cs: lc.cv.Cs, fold_scores: lc.cv.foldScores, mean_scores: lc.cv.meanScores, best_minus_second: lc.cv.bestMinusSecond,
      liblinear_seeds_cv: lc.cv.seedsCv, liblinear_seed_refit: lc.cv.seedRefit, fold_sizes_rows: lc.cv.foldSizesRows, fold_order: lc.cv.foldOrder,
    },
    sensitivity: lc.sensitivity.map((s) => ({ C: s.C, C_index: s.cIndex, length_controlled_winrate: s.lengthControlledWinrate, lc_standard_error: s.lcStandardError, coefficients: s.coefficients })),
    glm_preference: Array.from(lc.glmPreference),
  };
}
