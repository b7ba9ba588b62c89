/**
 * Length-controlled win rate of AlpacaEval 2.0 (alpaca_eval `get_length_controlled_winrate`, glm
 * `length_controlled_v1`; spec §5 steps 0–12), bit-faithful to scikit-learn 1.2.1 / liblinear.
 * Pure: annotation rows and df_gamed rows in, numbers out.
 */
import { npMean, pandasSem } from '../numeric.ts';
import {
  FEATURE_NAMES, buildTrainingSet, featurizeModelRows, lcPreference,
  type FeatureName, type LcAnnotationRow, type ModelRows, type TrainingSet,
} from './features.ts';
import type { GamedRow } from './gamed-table.ts';
import type { FoldOrder } from './group-kfold.ts';
import type { PreparedL1rLr } from './liblinear-l1r-lr.ts';
import { allRows, crossValidate, expit, logspaceCs, prepareRows, refit } from './logistic-cv.ts';
import { liblinearSeedsCv } from './seeds.ts';

export { FEATURE_NAMES, type FeatureName, type LcAnnotationRow } from './features.ts';

export interface LcInput {
  /** the model's annotation rows, in annotation order */
  annotations: readonly LcAnnotationRow[];
  /** df_gamed rows, in CSV order */
  gamed: readonly GamedRow[];
  /** win_rate of the same annotations (computed here per spec §4 when absent); used for the warning */
  winRate?: number;
}

export interface LcOptions {
  /** GroupKFold tie order (default 'stable', as the goldens) */
  foldOrder?: FoldOrder;
  /** weight of the gamed baselines, halved (default 0.2 → 0.1 per gamed row) */
  regularizeToBaselineLambda?: number;
  nSplits?: number;
  /**
   * liblinear seeds of the CV fits. 'sklearn' (default): LogisticRegressionCV's — the k-th C of every fold
   * gets RandomState(123) draw k. 'naive': every CV fit gets draw 0, as a hand-written loop of
   * LogisticRegression(random_state=123) does (the synthetic fixture was made that way).
   */
  cvSeeding?: 'sklearn' | 'naive';
  /** whether to refit at the neighbouring Cs (default true) */
  sensitivity?: boolean;
}

export type Coefficients = Record<FeatureName, number>;

export interface LcRefit {
  C: number;
  seed: number;
  coefficients: Coefficients;
  nIter: number;
  lengthControlledWinrate: number;
  lcStandardError: number;
  /** P_i = σ(w_id·d_i + w_ng) for every model row */
  glmPreference: Float64Array;
}

export interface LcCv {
  Cs: number[];
  foldScores: number[][];
  meanScores: number[];
  sumScores: number[];
  bestMinusSecond: number;
  seedsCv: number[];
  seedRefit: number;
  foldSizesRows: number[];
  nIter: number[][];
  foldOrder: FoldOrder;
}

export interface LcResult {
  model: string;
  baseline: string;
  isBaseline: boolean;
  lengthControlledWinrate: number;
  lcStandardError: number;
  C: number | null;
  cIndex: number | null;
  coefficients: Coefficients;
  cv: LcCv | null;
  glmPreference: Float64Array;
  /** training rows R (each fitted as two samples) */
  nTrainRows: number;
  /** LC refitted at the neighbouring Cs of the grid: the fragility the official number hides */
  sensitivity: Array<{ cIndex: number; C: number; lengthControlledWinrate: number; lcStandardError: number; coefficients: Coefficients }>;
  extremeChange: { winRate: number; tooSmall: boolean; tooLarge: boolean; warn: boolean };
}

/** Everything the fits need, built once. */
export interface LcPrepared {
  model: string;
  baseline: string;
  modelRows: ModelRows;
  train: TrainingSet;
  Cs: number[];
  /** seed of the k-th C in every CV fold */
  seedsCv: number[];
  /** seed of the refit (RandomState(123) draw 0) */
  seedRefit: number;
  /** the all-rows liblinear problem (built lazily) */
  allRowsProblem?: PreparedL1rLr;
  options: Required<Omit<LcOptions, 'sensitivity'>>;
}

const TOL = 1e-4;
const MAX_ITER = 100;
const RANDOM_STATE = 123;

function coefficientsOf(w: ArrayLike<number>): Coefficients {
  return { [FEATURE_NAMES[0]]: w[0]!, [FEATURE_NAMES[1]]: w[1]!, [FEATURE_NAMES[2]]: w[2]! } as Coefficients;
}

function modelAndBaseline(rows: readonly LcAnnotationRow[]): { model: string; baseline: string } {
  if (rows.length === 0) throw new Error('LC: no annotation rows');
  const models = new Set(rows.map((r) => r.generator_2));
  if (models.size !== 1) throw new Error(`LC: expected one generator_2, found ${[...models].map(String).join(', ')}`);
  const model = rows[0]!.generator_2;
  const baseline = rows[0]!.generator_1;
  if (typeof model !== 'string' || typeof baseline !== 'string') {
    throw new Error('LC: annotation rows need generator_1 and generator_2 (model outputs must carry `generator`)');
  }
  return { model, baseline };
}

export function prepareLengthControlled(input: LcInput, options: LcOptions = {}): LcPrepared {
  const opts = {
    foldOrder: options.foldOrder ?? 'stable',
    regularizeToBaselineLambda: options.regularizeToBaselineLambda ?? 0.2,
    nSplits: options.nSplits ?? 5,
    cvSeeding: options.cvSeeding ?? 'sklearn',
  };
  const { model, baseline } = modelAndBaseline(input.annotations);
  const isBaseline = model === baseline;
  if (isBaseline) throw new Error(`LC: ${model} is the baseline itself: there is nothing to fit (LC = 50)`);
  const modelRows = featurizeModelRows(input.annotations, input.gamed);
  const train = buildTrainingSet(modelRows, input.gamed, opts.regularizeToBaselineLambda);
  const Cs = logspaceCs(-4, 4, 10);
  const draws = liblinearSeedsCv(Cs.length, RANDOM_STATE);
  const seedsCv = opts.cvSeeding === 'naive' ? draws.map(() => draws[0]!) : draws;
  return { model, baseline, modelRows, train, Cs, seedsCv, seedRefit: draws[0]!, options: opts };
}

/** Predictions for all model rows with std_delta_len = 0, and their mean / sem. */
export function predictModelRows(modelRows: ModelRows, w: ArrayLike<number>): { glmPreference: Float64Array; lc: number; se: number } {
  const P = new Float64Array(modelRows.n);
  for (let i = 0; i < modelRows.n; i++) {
    P[i] = expit(0 * w[0]! + modelRows.difficulty[i]! * w[1]! + 1 * w[2]!);
  }
  return { glmPreference: P, lc: npMean(P) * 100, se: pandasSem(P) * 100 };
}

/** Refit on all training rows at C (seed draw 0 unless given), as LogisticRegressionCV's refit does. */
export function refitLengthControlledAtC(prepared: LcPrepared, C: number, seed = prepared.seedRefit): LcRefit {
  prepared.allRowsProblem ??= prepareRows(prepared.train, allRows(prepared.train));
  const fit = refit(prepared.train, C, seed, TOL, MAX_ITER, prepared.allRowsProblem);
  const pred = predictModelRows(prepared.modelRows, fit.w);
  return {
    C, seed, coefficients: coefficientsOf(fit.w), nIter: fit.nIter,
    lengthControlledWinrate: pred.lc, lcStandardError: pred.se, glmPreference: pred.glmPreference,
  };
}

/** win_rate per spec §4: mean of x − 1 over 1 ≤ x ≤ 2 (after 0 → 1.5), ×100. */
export function winRateOf(rows: readonly LcAnnotationRow[]): number {
  const v: number[] = [];
  for (const r of rows) {
    const p = lcPreference(r.preference) + 1;
    if (p >= 1 && p <= 2) v.push(p - 1);
  }
  return npMean(v) * 100;
}

/** alpaca_eval `get_is_extreme_changes(wr, lc, abs_diff=10, rel_diff=4)`. */
export function extremeChange(winRate: number, lc: number, absDiff = 10, relDiff = 4) {
  const tooSmall = lc < Math.min(winRate - winRate / relDiff, winRate - absDiff);
  const tooLarge = lc > Math.max(winRate + (100 - winRate) / relDiff, winRate + absDiff);
  return { winRate, tooSmall, tooLarge, warn: tooSmall || tooLarge };
}

export function lengthControlledWinRate(input: LcInput, options: LcOptions = {}): LcResult {
  const winRate = input.winRate ?? winRateOf(input.annotations);
  const who = modelAndBaseline(input.annotations);
  if (who.model === who.baseline) {
    // spec §5.0: the baseline against itself is not fitted; every prediction is 0.5
    return {
      ...who, isBaseline: true, lengthControlledWinrate: 50, lcStandardError: 0, C: null, cIndex: null,
      coefficients: coefficientsOf([0, 0, 0]), cv: null, glmPreference: new Float64Array(input.annotations.length).fill(0.5),
      nTrainRows: 0, sensitivity: [], extremeChange: extremeChange(winRate, 50),
    };
  }
  const prepared = prepareLengthControlled(input, options);
  const { model, baseline, modelRows, train } = prepared;
  const { Cs, seedsCv } = prepared;
  const cv = crossValidate(train, {
    Cs, seeds: seedsCv, nSplits: prepared.options.nSplits, foldOrder: prepared.options.foldOrder, tol: TOL, maxIter: MAX_ITER,
  });
  const best = refitLengthControlledAtC(prepared, Cs[cv.bestIndex]!);
  const sensitivity: LcResult['sensitivity'] = [];
  if (options.sensitivity !== false) {
    for (const c of [cv.bestIndex - 1, cv.bestIndex + 1]) {
      if (c < 0 || c >= Cs.length) continue;
      const r = refitLengthControlledAtC(prepared, Cs[c]!);
      sensitivity.push({ cIndex: c, C: r.C, lengthControlledWinrate: r.lengthControlledWinrate, lcStandardError: r.lcStandardError, coefficients: r.coefficients });
    }
  }
  return {
    model, baseline, isBaseline: false,
    lengthControlledWinrate: best.lengthControlledWinrate,
    lcStandardError: best.lcStandardError,
    C: best.C,
    cIndex: cv.bestIndex,
    coefficients: best.coefficients,
    cv: {
      Cs, foldScores: cv.foldScores, meanScores: cv.meanScores, sumScores: cv.sumScores,
      bestMinusSecond: cv.bestMinusSecond, seedsCv, seedRefit: prepared.seedRefit, foldSizesRows: cv.foldSizesRows,
      nIter: cv.nIter, foldOrder: prepared.options.foldOrder,
    },
    glmPreference: best.glmPreference,
    nTrainRows: train.nRows,
    sensitivity,
    extremeChange: extremeChange(winRate, best.lengthControlledWinrate),
  };
}
