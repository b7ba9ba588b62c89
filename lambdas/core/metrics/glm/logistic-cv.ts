/**
 * alpaca_eval's `fit_LogisticRegressionCV(is_ytrue_proba=True)` on scikit-learn 1.2.1 (spec §5 steps 5–8):
 * every training row r becomes two samples, (x_r, y=1, weight s_r·p_r) and (x_r, y=0, weight
 * s_r·(1−p_r)), stacked as [all y=1 copies, all y=0 copies]; GroupKFold over the rows; for each fold and
 * each C of `np.logspace(-4, 4, 10)` a liblinear L1 fit on the other folds (samples in ascending order,
 * as sklearn indexes them), scored on the held-out samples; best C = argmax of the fold sum (first on
 * ties); refit on all samples with seed draw 0.
 */
import { npMean } from '../numeric.ts';
import type { TrainingSet } from './features.ts';
import { groupKFoldEqualGroups, type FoldOrder } from './group-kfold.ts';
import { prepareL1rLr, solvePreparedL1rLr, type L1rLrResult, type PreparedL1rLr } from './liblinear-l1r-lr.ts';

/** `np.logspace(-4, 4, 10)`: 10 ** (k·(8/9) − 4), last point exactly 10 ** 4 (bit-equal to numpy 1.24). */
export function logspaceCs(start = -4, stop = 4, num = 10): number[] {
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let k = 0; k < num; k++) out.push(Math.pow(10, k === num - 1 ? stop : k * step + start));
  return out;
}

/** The liblinear problem made of the duplicated samples of the given rows (ascending row order). */
export function prepareRows(train: TrainingSet, rows: Int32Array): PreparedL1rLr {
  const m = rows.length;
  const n = 2 * m;
  const x = new Float64Array(n * 3);
  const y = new Int8Array(n);
  const sw = new Float64Array(n);
  const ids = new Int32Array(n);
  for (let a = 0; a < m; a++) {
    const r = rows[a]!;
    const p = train.p[r]!;
    const s = train.s[r]!;
    for (let c = 0; c < 2; c++) {
      const k = c * m + a;
      x[k * 3] = train.x[r * 3]!;
      x[k * 3 + 1] = train.x[r * 3 + 1]!;
      x[k * 3 + 2] = train.x[r * 3 + 2]!;
      y[k] = c === 0 ? 1 : 0;
      sw[k] = c === 0 ? p * s : (1 - p) * s;
      ids[k] = r;
    }
  }
  return prepareL1rLr({ x, n, d: 3, y, sampleWeight: sw, identicalRowIds: ids });
}

/** All rows 0..R−1. */
export function allRows(train: TrainingSet): Int32Array {
  const rows = new Int32Array(train.nRows);
  for (let r = 0; r < rows.length; r++) rows[r] = r;
  return rows;
}

export function expit(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

const CLIP = 1e-15;

/**
 * The official CV score on held-out rows: mean over the 2·n samples of
 * (t·log q + (1−t)·log(1−q))·s with q = clip(expit(x·w), 1e-15, 1−1e-15) and t = p for both copies.
 */
export function foldScore(train: TrainingSet, rows: Int32Array, w: Float64Array, scratch?: Float64Array): number {
  const m = rows.length;
  const vals = scratch && scratch.length >= 2 * m ? scratch.subarray(0, 2 * m) : new Float64Array(2 * m);
  const w0 = w[0]!;
  const w1 = w[1]!;
  const w2 = w[2]!;
  const hi = 1 - CLIP;
  for (let a = 0; a < m; a++) {
    const r = rows[a]!;
    const z = train.x[r * 3]! * w0 + train.x[r * 3 + 1]! * w1 + train.x[r * 3 + 2]! * w2;
    let q = expit(z);
    q = q < CLIP ? CLIP : q > hi ? hi : q;
    const t = train.p[r]!;
    const v = (t * Math.log(q) + (1 - t) * Math.log(1 - q)) * train.s[r]!;
    vals[a] = v;
    vals[m + a] = v;
  }
  return npMean(vals);
}

export interface CvOptions {
  Cs: readonly number[];
  /** seed of the k-th C in every fold */
  seeds: readonly number[];
  nSplits: number;
  foldOrder: FoldOrder;
  tol: number;
  maxIter: number;
}

export interface CvResult {
  /** fold of each training row */
  foldOfRow: Int32Array;
  /** [fold][C] */
  foldScores: number[][];
  /** [fold][C] liblinear Newton iterations */
  nIter: number[][];
  /** per C: fold scores summed in fold order */
  sumScores: number[];
  meanScores: number[];
  bestIndex: number;
  /** best mean score minus the second-best one */
  bestMinusSecond: number;
  /** held-out samples per fold (2 per row) */
  foldSizesRows: number[];
}

export function crossValidate(train: TrainingSet, opts: CvOptions): CvResult {
  const { Cs, seeds, nSplits } = opts;
  if (seeds.length < Cs.length) throw new Error('one seed per C is needed');
  const foldOfRow = groupKFoldEqualGroups(train.nRows, nSplits, opts.foldOrder);
  const foldScores: number[][] = [];
  const nIter: number[][] = [];
  const foldSizesRows: number[] = [];
  const scratch = new Float64Array(2 * train.nRows);
  for (let k = 0; k < nSplits; k++) {
    let nTest = 0;
    for (let r = 0; r < train.nRows; r++) if (foldOfRow[r] === k) nTest++;
    const test = new Int32Array(nTest);
    const fit = new Int32Array(train.nRows - nTest);
    for (let r = 0, a = 0, b = 0; r < train.nRows; r++) {
      if (foldOfRow[r] === k) test[a++] = r;
      else fit[b++] = r;
    }
    foldSizesRows.push(2 * nTest);
    const prob = prepareRows(train, fit);
    const scores: number[] = [];
    const iters: number[] = [];
    for (let c = 0; c < Cs.length; c++) {
      const res = solvePreparedL1rLr(prob, { C: Cs[c]!, seed: seeds[c]!, tol: opts.tol, maxIter: opts.maxIter });
      scores.push(foldScore(train, test, res.w, scratch));
      iters.push(res.nIter);
    }
    foldScores.push(scores);
    nIter.push(iters);
  }
  const sumScores = Cs.map((_, c) => {
    let acc = foldScores[0]![c]!;
    for (let k = 1; k < nSplits; k++) acc += foldScores[k]![c]!;
    return acc;
  });
  const meanScores = sumScores.map((v) => v / nSplits);
  let bestIndex = 0;
  for (let c = 1; c < Cs.length; c++) if (sumScores[c]! > sumScores[bestIndex]!) bestIndex = c;
  let second = -Infinity;
  meanScores.forEach((v, c) => {
    if (c !== bestIndex && v > second) second = v;
  });
  return {
    foldOfRow, foldScores, nIter, sumScores, meanScores, bestIndex,
    bestMinusSecond: meanScores[bestIndex]! - second, foldSizesRows,
  };
}

/** Refit on all rows at C. */
export function refit(train: TrainingSet, C: number, seed: number, tol: number, maxIter: number, prob?: PreparedL1rLr): L1rLrResult {
  return solvePreparedL1rLr(prob ?? prepareRows(train, allRows(train)), { C, seed, tol, maxIter });
}
