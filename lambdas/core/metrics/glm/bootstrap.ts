/**
 * Bootstrap over instructions of the length-controlled win rate and of the raw win rate (an addition to the
 * official metrics: alpaca_eval reports no interval for LC). Pure: a plan of typed arrays in, replicate values out,
 * so a worker thread can run any range of replicates and the result does not depend on how the range is split.
 *
 * Replicate b: the instructions are drawn with replacement (an MT19937 seeded with [seed, b]); each instruction
 * brings all of its rows in the GLM's data with its multiplicity — its model row and the df_gamed rows of the same
 * eval index — and the multiplicity becomes a weight factor (the same objective as repeating the rows). The L1
 * logistic GLM is refitted at the C chosen by cross-validation on the full data (no CV inside replicates), warm
 * started from the full-data coefficients, and LC is computed from it as the point estimate is: the mean of
 * σ(w_difficulty·d + w_not_gamed) over the drawn model rows. The features stay those of the full data (the length
 * standardisation is not recomputed per replicate). df_gamed rows whose eval index is not an instruction of the
 * run are not resampled (weight factor 1).
 */
import { Mt19937 } from '../../random/mt19937.ts';
import { randomInterval } from '../../random/numpy-legacy.ts';
import type { GamedRow } from './gamed-table.ts';
import { reweightPrepared, solvePreparedL1rLr, type PreparedL1rLr } from './liblinear-l1r-lr.ts';
import { FEATURE_NAMES, lcPreference, type LcAnnotationRow } from './features.ts';
import { prepareLengthControlled, type LcPrepared } from './length-controlled.ts';
import { solveL1LogisticNewton } from './l1-logistic-newton.ts';
import { allRows, expit, prepareRows } from './logistic-cv.ts';

export const DEFAULT_BOOTSTRAP_REPLICATES = 1000;
export const DEFAULT_BOOTSTRAP_SEED = 20240805;

/** One model's data for the bootstrap (typed arrays and numbers only: it crosses to worker threads). */
export interface BootstrapArm {
  /** C chosen on the full data; null for the baseline itself (LC = 50 in every replicate) */
  C: number | null;
  /** full-data coefficients (the warm start) */
  w: Float64Array;
  /** liblinear seed of the refit (liblinear solver only) */
  seed: number;
  /** GLM training rows: R × 3 features, weight of the y = 1 sample (p·s) and of the y = 0 sample ((1 − p)·s) */
  nRows: number;
  x: Float64Array;
  pos: Float64Array;
  neg: Float64Array;
  /** instruction of each training row (−1: not resampled) */
  rowInstruction: Int32Array;
  /** the all-rows liblinear problem and the instruction of each of its solver rows (liblinear solver only) */
  liblinear: { problem: PreparedL1rLr; solverInstruction: Int32Array } | null;
  /** instruction of each model row (−1: not resampled, counted once) */
  modelInstruction: Int32Array;
  /** instruction_difficulty of each model row */
  modelDifficulty: Float64Array;
  /** preference − 1 of each model row (NaN when the annotation failed), for the raw win rate */
  modelPreference: Float64Array;
}

/**
 * 'newton' (default): the exact optimum of the same objective by proximal Newton (l1-logistic-newton.ts);
 * 'liblinear': the liblinear port at scikit-learn's tol = 1e-4, warm started (slower; kept to compare endpoints).
 */
export type BootstrapSolver = 'newton' | 'liblinear';

export interface BootstrapPlan {
  /** number of instructions drawn per replicate */
  nInstructions: number;
  seed: number;
  solver: BootstrapSolver;
  arms: BootstrapArm[];
}

export interface ReplicateValues {
  start: number;
  end: number;
  /** [arm][b − start]: LC in points */
  lc: Float64Array[];
  /** [arm][b − start]: raw win rate in points */
  winRate: Float64Array[];
  /** Newton iterations summed over the range (all arms) */
  newtonIterations: number;
}

/**
 * The bootstrap arm of a fitted model. `instructionOfModelRow` maps model rows to instruction ids (default: the row
 * position, which the LC's positional difficulty lookup already assumes); df_gamed rows belong to their eval index.
 */
export function bootstrapArm(
  prepared: LcPrepared, gamed: readonly GamedRow[], C: number, w: ArrayLike<number>,
  opts: { instructionOfModelRow?: Int32Array; nInstructions?: number; solver?: BootstrapSolver } = {},
): BootstrapArm {
  const { train, modelRows } = prepared;
  const modelInstruction = opts.instructionOfModelRow ?? identity(modelRows.n);
  const nInstructions = opts.nInstructions ?? modelRows.n;
  const rowInstruction = new Int32Array(train.nRows);
  for (let r = 0; r < train.nGamed; r++) {
    const index = gamed[train.gamedRow[r]!]!.index;
    rowInstruction[r] = index >= 0 && index < nInstructions ? index : -1;
  }
  for (let r = train.nGamed; r < train.nRows; r++) rowInstruction[r] = modelInstruction[train.modelRow[r - train.nGamed]!]!;
  const pos = new Float64Array(train.nRows);
  const neg = new Float64Array(train.nRows);
  for (let r = 0; r < train.nRows; r++) {
    pos[r] = train.p[r]! * train.s[r]!;
    neg[r] = (1 - train.p[r]!) * train.s[r]!;
  }
  let liblinear: BootstrapArm['liblinear'] = null;
  if (opts.solver === 'liblinear') {
    prepared.allRowsProblem ??= prepareRows(train, allRows(train));
    const problem = prepared.allRowsProblem;
    // prepareRows stacks samples as [y=1 copies of rows 0..R−1, y=0 copies]: sample k belongs to row k mod R
    const solverInstruction = new Int32Array(problem.l);
    for (let k = 0; k < problem.l; k++) solverInstruction[k] = rowInstruction[problem.sourceRow[k]! % train.nRows]!;
    liblinear = { problem, solverInstruction };
  }
  return {
    C, w: Float64Array.from(w), seed: prepared.seedRefit, nRows: train.nRows, x: train.x, pos, neg, rowInstruction, liblinear,
    modelInstruction, modelDifficulty: modelRows.difficulty, modelPreference: modelRows.preference,
  };
}

/** The arm of the baseline against itself: LC is 50 in every replicate, only the raw win rate is resampled. */
export function baselineArm(preference: Float64Array): BootstrapArm {
  const n = preference.length;
  return {
    C: null, w: new Float64Array(3), seed: 0, nRows: 0, x: new Float64Array(0), pos: new Float64Array(0), neg: new Float64Array(0),
    rowInstruction: new Int32Array(0), liblinear: null,
    modelInstruction: identity(n), modelDifficulty: new Float64Array(n), modelPreference: preference,
  };
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Multiplicity of each instruction in replicate b (n draws with replacement). */
export function drawCounts(seed: number, b: number, n: number, out = new Int32Array(n)): Int32Array {
  out.fill(0);
  const rng = Mt19937.fromKey([seed >>> 0, b >>> 0]);
  for (let k = 0; k < n; k++) out[randomInterval(rng, n - 1)]!++;
  return out;
}

/** LC and raw win rate of every arm for replicates start..end−1. */
export function runReplicates(plan: BootstrapPlan, start: number, end: number): ReplicateValues {
  const count = end - start;
  const lc = plan.arms.map(() => new Float64Array(count));
  const winRate = plan.arms.map(() => new Float64Array(count));
  const counts = new Int32Array(plan.nInstructions);
  const scratch = plan.arms.map((arm) => ({
    a: new Float64Array(arm.nRows), b: new Float64Array(arm.nRows), x: new Float64Array(arm.nRows * 3),
    solverWeight: new Float64Array(arm.liblinear?.problem.l ?? 0),
  }));
  let newtonIterations = 0;
  for (let b = start; b < end; b++) {
    drawCounts(plan.seed, b, plan.nInstructions, counts);
    plan.arms.forEach((arm, k) => {
      winRate[k]![b - start] = weightedWinRate(arm, counts);
      if (arm.C === null) {
        lc[k]![b - start] = 50;
        return;
      }
      const fit = plan.solver === 'liblinear' ? refitLiblinear(arm, counts, scratch[k]!.solverWeight) : refitNewton(arm, counts, scratch[k]!);
      newtonIterations += fit.nIter;
      lc[k]![b - start] = weightedLc(arm, counts, fit.w);
    });
  }
  return { start, end, lc, winRate, newtonIterations };
}

/** The drawn rows only (multiplicity folded into the weights), solved exactly from the full-data coefficients. */
function refitNewton(arm: BootstrapArm, counts: Int32Array, s: { a: Float64Array; b: Float64Array; x: Float64Array }) {
  let m = 0;
  for (let r = 0; r < arm.nRows; r++) {
    const ins = arm.rowInstruction[r]!;
    const c = ins < 0 ? 1 : counts[ins]!;
    if (c === 0) continue;
    s.a[m] = c * arm.pos[r]!;
    s.b[m] = c * arm.neg[r]!;
    s.x[m * 3] = arm.x[r * 3]!;
    s.x[m * 3 + 1] = arm.x[r * 3 + 1]!;
    s.x[m * 3 + 2] = arm.x[r * 3 + 2]!;
    m++;
  }
  return solveL1LogisticNewton(s.x, s.a, s.b, m, 3, { C: arm.C!, w0: arm.w });
}

function refitLiblinear(arm: BootstrapArm, counts: Int32Array, weight: Float64Array) {
  const { problem, solverInstruction } = arm.liblinear ?? missingLiblinear();
  for (let k = 0; k < problem.l; k++) {
    const ins = solverInstruction[k]!;
    weight[k] = problem.weight[k]! * (ins < 0 ? 1 : counts[ins]!);
  }
  return solvePreparedL1rLr(reweightPrepared(problem, weight), { C: arm.C!, seed: arm.seed, w0: arm.w });
}

function missingLiblinear(): never {
  throw new Error('bootstrap: the liblinear solver needs arms built with { solver: "liblinear" }');
}

function weightedLc(arm: BootstrapArm, counts: Int32Array, w: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < arm.modelInstruction.length; i++) {
    const ins = arm.modelInstruction[i]!;
    const c = ins < 0 ? 1 : counts[ins]!;
    if (c === 0) continue;
    num += c * expit(arm.modelDifficulty[i]! * w[1]! + w[2]!);
    den += c;
  }
  return den > 0 ? (num / den) * 100 : NaN;
}

/** The raw win rate's rule (rows with 0 ≤ preference − 1 ≤ 1), each row counted with its multiplicity. */
function weightedWinRate(arm: BootstrapArm, counts: Int32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < arm.modelInstruction.length; i++) {
    const x = arm.modelPreference[i]!;
    if (!(x >= 0 && x <= 1)) continue;
    const ins = arm.modelInstruction[i]!;
    const c = ins < 0 ? 1 : counts[ins]!;
    num += c * x;
    den += c;
  }
  return den > 0 ? (num / den) * 100 : NaN;
}

/** Replicate ranges, concatenated in replicate order. */
export function mergeReplicates(parts: readonly ReplicateValues[], nArms: number): ReplicateValues {
  const sorted = [...parts].sort((x, y) => x.start - y.start);
  const total = sorted.reduce((s, p) => s + (p.end - p.start), 0);
  const lc = Array.from({ length: nArms }, () => new Float64Array(total));
  const winRate = Array.from({ length: nArms }, () => new Float64Array(total));
  let at = 0;
  let iters = 0;
  for (const p of sorted) {
    if (p.start !== (sorted[0]!.start + at)) throw new Error(`bootstrap: replicate ranges are not contiguous at ${p.start}`);
    for (let a = 0; a < nArms; a++) {
      lc[a]!.set(p.lc[a]!, at);
      winRate[a]!.set(p.winRate[a]!, at);
    }
    at += p.end - p.start;
    iters += p.newtonIterations;
  }
  return { start: sorted[0]?.start ?? 0, end: (sorted[0]?.start ?? 0) + total, lc, winRate, newtonIterations: iters };
}

/** numpy's default (linear) percentile of the finite values, q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const v = Array.from(values).filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (v.length === 0) return NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/** 95 % percentile interval [2.5th, 97.5th percentile]. */
export function interval95(values: ArrayLike<number>): [number, number] {
  return [percentile(values, 2.5), percentile(values, 97.5)];
}

/**
 * Two-sided bootstrap p-value of "no difference": twice the smaller tail share of replicate differences at or
 * beyond 0, with the add-one correction ((1 + k) / (B + 1)), at most 1.
 */
export function bootstrapPValue(deltas: ArrayLike<number>): number {
  let le = 0;
  let ge = 0;
  let n = 0;
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]!;
    if (!Number.isFinite(d)) continue;
    n++;
    if (d <= 0) le++;
    if (d >= 0) ge++;
  }
  if (n === 0) return NaN;
  return Math.min(1, (2 * (1 + Math.min(le, ge))) / (n + 1));
}

/** Replicate ranges for `parts` workers: contiguous, sizes differing by at most one. */
export function splitRange(total: number, parts: number): Array<[number, number]> {
  const k = Math.max(1, Math.min(parts, total));
  const out: Array<[number, number]> = [];
  for (let p = 0, at = 0; p < k; p++) {
    const size = Math.floor(total / k) + (p < total % k ? 1 : 0);
    out.push([at, at + size]);
    at += size;
  }
  return out.filter(([a, b]) => b > a);
}

/** The arm of a fitted model (or of the baseline itself), from its annotation rows and its LC fit. */
export function armForModel(
  rows: readonly LcAnnotationRow[], gamed: readonly GamedRow[],
  lc: { isBaseline: boolean; C: number | null; coefficients: Record<string, number> },
  opts: { instructionOfModelRow?: Int32Array; nInstructions?: number; solver?: BootstrapSolver } = {},
): BootstrapArm {
  if (lc.isBaseline || lc.C === null) {
    const arm = baselineArm(Float64Array.from(rows, (r) => lcPreference(r.preference)));
    if (opts.instructionOfModelRow) arm.modelInstruction = opts.instructionOfModelRow;
    return arm;
  }
  const prepared = prepareLengthControlled({ annotations: rows, gamed });
  return bootstrapArm(prepared, gamed, lc.C, FEATURE_NAMES.map((f) => lc.coefficients[f]!), opts);
}
