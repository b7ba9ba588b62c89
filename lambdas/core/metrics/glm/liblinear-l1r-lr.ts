/**
 * Port of the L1-regularised logistic regression solver (newGLMNET) of LIBLINEAR (Fan, Chang, Hsieh,
 * Wang, Lin; BSD-3-Clause) as bundled in scikit-learn 1.2.1 (`solve_l1r_lr`, reached through `train` →
 * `train_one`). Written in TypeScript from a reading of that algorithm (Yuan, Ho, Lin 2011).
 *
 * Minimises  ‖w‖₁ + Σ_i C_i · log(1 + exp(−ỹ_i · w·x_i)),  C_i = C · sampleWeight_i,  no bias.
 *
 * Copied literally, because each of these changes the coefficients (spec §8):
 * - input shaping (liblinear-problem.ts): weight ≤ 0 rows removed first, rows regrouped [−1 | +1],
 *   eps = tol · max(min(pos, neg), 1) / l on the kept rows;
 * - coordinate order: `index[]` shuffled at the start of every inner (QP) pass with scikit-learn's
 *   bounded random integer on an MT19937 seeded by init_genrand(seed); `index[]` is never reset, it
 *   persists across inner passes and Newton iterations and the shrinking swaps permute it too;
 * - scikit-learn 1.2.1's inner loop: the violation is accumulated before the one-variable step (also for
 *   coordinates that then do not move), and there is no `QP_no_change` exit;
 * - stopping: outer `Gnorm1 ≤ eps·Gnorm1_init` (Gnorm1_init from the first iteration), ≤ maxIter Newton
 *   iterations, ≤ 1000 inner passes, inner_eps starts at 1 and is ×0.25 after a one-pass QP,
 *   shrinking thresholds ±Gmax_old/l with Gmax_old = ∞ at the start, inner reactivation of the full set;
 * - arithmetic: exp(w·x) updated multiplicatively (recomputed from w only after 20 failed halvings, with
 *   τ and D left as they were), Hessian diagonal from ν = 1e-12, gradient term (w_new − w)·ν, steps
 *   clipped to ±10, line search σ = 0.01 with up to 20 halvings, expressions evaluated in the C++ order
 *   (no fused multiply-add; `C·e·τ·τ`, `v·v·D`, `v·D·xTd` left to right).
 *
 * Exact shortcut: rows with bitwise-identical features have identical x·d and exp(w·x) at every step
 * (same operands, same order), so those two arrays and the exp/log of the line search are computed once
 * per unique row; all C_i-weighted quantities and all sums stay per solver row, in solver order.
 */
import { Mt19937 } from '../../random/mt19937.ts';
import { boundedRandInt } from './liblinear-rand.ts';
import { prepareL1rLr, type L1rLrData, type PreparedL1rLr } from './liblinear-problem.ts';

export { prepareL1rLr, reweightPrepared, type L1rLrData, type PreparedL1rLr } from './liblinear-problem.ts';
export { boundedRandInt } from './liblinear-rand.ts';

export interface L1rLrOptions {
  C: number;
  /** scikit-learn `tol`; default 1e-4 */
  tol?: number;
  /** maximum Newton iterations (scikit-learn `max_iter`); default 100 */
  maxIter?: number;
  /** seed of liblinear's std::mt19937 (scikit-learn draws it from its RandomState) */
  seed: number;
  /**
   * Warm start (an addition, not in scikit-learn 1.2.1): start from these coefficients instead of 0. The stopping
   * rule stays relative to the gradient at w = 0, as in a cold start, so a warm fit stops at the same accuracy.
   * Without it the solver is the bit-faithful port.
   */
  w0?: ArrayLike<number>;
}

export interface L1rLrResult {
  w: Float64Array;
  /** Newton iterations done (scikit-learn `n_iter_`) */
  nIter: number;
}

/** Fits L1-regularised logistic regression like scikit-learn 1.2.1's liblinear (no intercept). */
export function solveL1rLr(problem: L1rLrData & L1rLrOptions): L1rLrResult {
  return solvePreparedL1rLr(prepareL1rLr(problem), problem);
}

/** `train_one` for L1R_LR on a prepared problem, with Cp = Cn = C. */
export function solvePreparedL1rLr(prob: PreparedL1rLr, opts: L1rLrOptions): L1rLrResult {
  const tol = opts.tol ?? 1e-4;
  const maxIter = opts.maxIter ?? 100;
  const w = new Float64Array(prob.d);
  if (prob.l === 0) return { w, nIter: 0 };
  const eps = (tol * Math.max(Math.min(prob.pos, prob.neg), 1)) / prob.l;
  const nIter = newGlmnet(prob, w, eps, opts.C, opts.C, maxIter, Mt19937.fromSeed(opts.seed), opts.w0);
  return { w, nIter };
}

const max = (x: number, y: number): number => (x > y ? x : y);
const min = (x: number, y: number): number => (x < y ? x : y);

function newGlmnet(
  prob: PreparedL1rLr, w: Float64Array, eps: number, Cp: number, Cn: number, maxNewtonIter: number, rng: Mt19937,
  w0?: ArrayLike<number>,
): number {
  const { l, d: wSize, ySign: y, weight: W, uid, nUnique } = prob;
  const { colStart, colRow, colUid, colVal, ucolStart, ucolRow, ucolVal } = prob;
  const maxInnerIter = 1000;
  const maxNumLinesearch = 20;
  const nu = 1e-12;
  const sigma = 0.01;
  let innerEps = 1;
  let Gnorm1Init = -1;
  let GmaxOld = Infinity;

  const index = new Int32Array(wSize);
  const Hdiag = new Float64Array(wSize);
  const Grad = new Float64Array(wSize);
  const wpd = new Float64Array(wSize);
  const xjnegSum = new Float64Array(wSize);
  const C = new Float64Array(l);
  const tau = new Float64Array(l);
  const D = new Float64Array(l);
  // per unique row
  const xTd = new Float64Array(nUnique);
  const expWTx = new Float64Array(nUnique);
  const expWTxNew = new Float64Array(nUnique);
  const lossTerm = new Float64Array(nUnique);

  for (let i = 0; i < l; i++) C[i] = W[i]! * (y[i]! > 0 ? Cp : Cn);
  let wNorm = 0;
  for (let j = 0; j < wSize; j++) {
    w[j] = w0 ? w0[j]! : 0;
    wNorm += Math.abs(w[j]!);
    wpd[j] = w[j]!;
    index[j] = j;
    let s = 0;
    for (let p = colStart[j]!; p < colStart[j + 1]!; p++) {
      const i = colRow[p]!;
      if (y[i] === -1) s += C[i]! * colVal[p]!;
    }
    xjnegSum[j] = s;
    for (let p = ucolStart[j]!; p < ucolStart[j + 1]!; p++) expWTx[ucolRow[p]!]! += w[j]! * ucolVal[p]!;
  }
  for (let u = 0; u < nUnique; u++) expWTx[u] = Math.exp(expWTx[u]!);
  refreshTauD(l, uid, C, expWTx, tau, D);
  if (w0) Gnorm1Init = gnorm1AtZero(prob, C, xjnegSum);

  let newtonIter = 0;
  while (newtonIter < maxNewtonIter) {
    let GmaxNew = 0;
    let Gnorm1New = 0;
    let activeSize = wSize;
    for (let s = 0; s < activeSize; s++) {
      const j = index[s]!;
      let h = nu;
      let tmp = 0;
      for (let p = colStart[j]!; p < colStart[j + 1]!; p++) {
        const i = colRow[p]!;
        const v = colVal[p]!;
        h += v * v * D[i]!;
        tmp += v * tau[i]!;
      }
      Hdiag[j] = h;
      const g = -tmp + xjnegSum[j]!;
      Grad[j] = g;
      const Gp = g + 1;
      const Gn = g - 1;
      let violation = 0;
      if (w[j] === 0) {
        if (Gp < 0) violation = -Gp;
        else if (Gn > 0) violation = Gn;
        else if (Gp > GmaxOld / l && Gn < -GmaxOld / l) {
          // outer-level shrinking
          activeSize--;
          index[s] = index[activeSize]!;
          index[activeSize] = j;
          s--;
          continue;
        }
      } else if (w[j]! > 0) violation = Math.abs(Gp);
      else violation = Math.abs(Gn);
      GmaxNew = max(GmaxNew, violation);
      Gnorm1New += violation;
    }

    if (newtonIter === 0 && !w0) Gnorm1Init = Gnorm1New;
    if (Gnorm1New <= eps * Gnorm1Init) break;

    let iter = 0;
    let QPGmaxOld = Infinity;
    let QPActiveSize = activeSize;
    xTd.fill(0);

    // optimise the quadratic model over wpd by randomised coordinate descent
    while (iter < maxInnerIter) {
      let QPGmaxNew = 0;
      let QPGnorm1New = 0;
      for (let j = 0; j < QPActiveSize; j++) {
        const i = j + boundedRandInt(rng, QPActiveSize - j);
        const t = index[i]!;
        index[i] = index[j]!;
        index[j] = t;
      }
      for (let s = 0; s < QPActiveSize; s++) {
        const j = index[s]!;
        const H = Hdiag[j]!;
        let G = Grad[j]! + (wpd[j]! - w[j]!) * nu;
        for (let p = colStart[j]!; p < colStart[j + 1]!; p++) {
          G += colVal[p]! * D[colRow[p]!]! * xTd[colUid[p]!]!;
        }
        const Gp = G + 1;
        const Gn = G - 1;
        const wj = wpd[j]!;
        let violation = 0;
        if (wj === 0) {
          if (Gp < 0) violation = -Gp;
          else if (Gn > 0) violation = Gn;
          else if (Gp > QPGmaxOld / l && Gn < -QPGmaxOld / l) {
            // inner-level shrinking
            QPActiveSize--;
            index[s] = index[QPActiveSize]!;
            index[QPActiveSize] = j;
            s--;
            continue;
          }
        } else if (wj > 0) violation = Math.abs(Gp);
        else violation = Math.abs(Gn);

        QPGmaxNew = max(QPGmaxNew, violation);
        QPGnorm1New += violation;

        // solution of the one-variable problem
        let z: number;
        if (Gp < H * wj) z = -Gp / H;
        else if (Gn > H * wj) z = -Gn / H;
        else z = -wj;
        if (Math.abs(z) < 1.0e-12) continue;
        z = min(max(z, -10.0), 10.0);
        wpd[j] = wj + z;
        for (let p = ucolStart[j]!; p < ucolStart[j + 1]!; p++) xTd[ucolRow[p]!]! += ucolVal[p]! * z;
      }
      iter++;
      if (QPGnorm1New <= innerEps * Gnorm1Init) {
        if (QPActiveSize === activeSize) break; // inner stopping
        QPActiveSize = activeSize; // active set reactivation
        QPGmaxOld = Infinity;
        continue;
      }
      QPGmaxOld = QPGmaxNew;
    }

    let delta = 0;
    let wNormNew = 0;
    for (let j = 0; j < wSize; j++) {
      delta += Grad[j]! * (wpd[j]! - w[j]!);
      if (wpd[j] !== 0) wNormNew += Math.abs(wpd[j]!);
    }
    delta += wNormNew - wNorm;

    let negsumXTd = 0;
    for (let i = 0; i < l; i++) if (y[i] === -1) negsumXTd += C[i]! * xTd[uid[i]!]!;

    let numLinesearch = 0;
    for (; numLinesearch < maxNumLinesearch; numLinesearch++) {
      let cond = wNormNew - wNorm + negsumXTd - sigma * delta;
      for (let u = 0; u < nUnique; u++) {
        const expXTd = Math.exp(xTd[u]!);
        const e = expWTx[u]! * expXTd;
        expWTxNew[u] = e;
        lossTerm[u] = Math.log((1 + e) / (expXTd + e));
      }
      for (let i = 0; i < l; i++) cond += C[i]! * lossTerm[uid[i]!]!;

      if (cond <= 0) {
        wNorm = wNormNew;
        for (let j = 0; j < wSize; j++) w[j] = wpd[j]!;
        expWTx.set(expWTxNew);
        refreshTauD(l, uid, C, expWTx, tau, D);
        break;
      }
      wNormNew = 0;
      for (let j = 0; j < wSize; j++) {
        wpd[j] = (w[j]! + wpd[j]!) * 0.5;
        if (wpd[j] !== 0) wNormNew += Math.abs(wpd[j]!);
      }
      delta *= 0.5;
      negsumXTd *= 0.5;
      for (let u = 0; u < nUnique; u++) xTd[u]! *= 0.5;
    }

    // too many line-search steps: recompute exp(w·x) from w (τ and D are left as they are)
    if (numLinesearch >= maxNumLinesearch) {
      expWTx.fill(0);
      for (let j = 0; j < wSize; j++) {
        if (w[j] === 0) continue;
        for (let p = ucolStart[j]!; p < ucolStart[j + 1]!; p++) expWTx[ucolRow[p]!]! += w[j]! * ucolVal[p]!;
      }
      for (let u = 0; u < nUnique; u++) expWTx[u] = Math.exp(expWTx[u]!);
    }

    if (iter === 1) innerEps *= 0.25;
    newtonIter++;
    GmaxOld = GmaxNew;
  }
  return newtonIter;
}

/** Σ_j of the minimum-norm subgradient at w = 0 (τ_i = C_i/2 there): the first-iteration Gnorm1 of a cold start. */
function gnorm1AtZero(prob: PreparedL1rLr, C: Float64Array, xjnegSum: Float64Array): number {
  let total = 0;
  for (let j = 0; j < prob.d; j++) {
    let tmp = 0;
    for (let p = prob.colStart[j]!; p < prob.colStart[j + 1]!; p++) tmp += prob.colVal[p]! * C[prob.colRow[p]!]! * 0.5;
    const g = -tmp + xjnegSum[j]!;
    if (g + 1 < 0) total += -(g + 1);
    else if (g - 1 > 0) total += g - 1;
  }
  return total;
}

/** τ_i = C_i/(1+e_i), D_i = C_i·e_i·t·t with t = 1/(1+e_i) (e_i = exp(w·x_i)). */
function refreshTauD(
  l: number, uid: Int32Array, C: Float64Array, expWTx: Float64Array, tau: Float64Array, D: Float64Array,
): void {
  for (let i = 0; i < l; i++) {
    const e = expWTx[uid[i]!]!;
    const t = 1 / (1 + e);
    tau[i] = C[i]! * t;
    D[i] = C[i]! * e * t * t;
  }
}
