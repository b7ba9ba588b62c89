/**
 * A proximal Newton solver of the same L1 logistic objective liblinear minimises (liblinear-l1r-lr.ts), written
 * for the bootstrap's many small refits (3 features): each training row r enters with a weight a_r on its y = 1
 * sample and b_r on its y = 0 sample,
 *
 *   F(w) = ‖w‖₁ + C · Σ_r [ a_r·log(1 + e^(−x_r·w)) + b_r·log(1 + e^(x_r·w)) ].
 *
 * Each iteration builds the full d×d Hessian, solves the L1-penalised quadratic model exactly (every sign pattern
 * of the small d is tried), and takes a backtracking line search on F. It converges quadratically to the unique optimum, much
 * tighter than liblinear's default tolerance; it is not used for the official point estimate (that stays the
 * bit-faithful liblinear port).
 */

export interface NewtonFit {
  w: Float64Array;
  nIter: number;
  /** minimum-norm subgradient (L1 norm) at the returned w */
  violation: number;
}

export interface NewtonOptions {
  C: number;
  /** starting point (default 0) */
  w0?: ArrayLike<number>;
  /** stop when the minimum-norm subgradient is ≤ tol × its value at w = 0 (default 1e-10) */
  tol?: number;
  maxIter?: number;
}

/** x: n × d row-major; a, b: per-row weights of the y = 1 and y = 0 samples (rows with a = b = 0 may be present). */
export function solveL1LogisticNewton(x: Float64Array, a: Float64Array, b: Float64Array, n: number, d: number, opts: NewtonOptions): NewtonFit {
  const C = opts.C;
  const tol = opts.tol ?? 1e-10;
  const maxIter = opts.maxIter ?? 100;
  const w = new Float64Array(d);
  if (opts.w0) for (let j = 0; j < d; j++) w[j] = opts.w0[j]!;
  const g = new Float64Array(d);
  const H = new Float64Array(d * d);
  const step = new Float64Array(d);
  const trial = new Float64Array(d);

  /** F(v), and its gradient g and Hessian H at v, in one pass over the rows. */
  const evaluate = (v: Float64Array): number => {
    g.fill(0);
    H.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const ai = a[i]!;
      const bi = b[i]!;
      const t = ai + bi;
      if (t === 0) continue;
      let z = 0;
      for (let j = 0; j < d; j++) z += x[i * d + j]! * v[j]!;
      const ez = Math.exp(-Math.abs(z));
      const l1p = Math.log1p(ez);
      // log(1 + e^−z) = l1p + max(−z, 0);  log(1 + e^z) = l1p + max(z, 0)
      loss += ai * (l1p + (z < 0 ? -z : 0)) + bi * (l1p + (z > 0 ? z : 0));
      const sig = z >= 0 ? 1 / (1 + ez) : ez / (1 + ez);
      const r = C * (t * sig - ai);
      const h = C * t * sig * (1 - sig);
      for (let j = 0; j < d; j++) {
        const xij = x[i * d + j]!;
        g[j]! += r * xij;
        for (let k = 0; k <= j; k++) H[j * d + k]! += h * xij * x[i * d + k]!;
      }
    }
    let norm = 0;
    for (let j = 0; j < d; j++) {
      norm += Math.abs(v[j]!);
      H[j * d + j]! += 1e-12;
      for (let k = 0; k < j; k++) H[k * d + j] = H[j * d + k]!;
    }
    return norm + C * loss;
  };
  const violationAt = (v: Float64Array, grad: Float64Array): number => {
    let total = 0;
    for (let j = 0; j < d; j++) {
      const gj = grad[j]!;
      if (v[j]! > 0) total += Math.abs(gj + 1);
      else if (v[j]! < 0) total += Math.abs(gj - 1);
      else total += Math.max(Math.abs(gj) - 1, 0);
    }
    return total;
  };

  // reference scale: the violation at w = 0, where σ = ½ (no exp needed)
  const g0 = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = C * (0.5 * (a[i]! + b[i]!) - a[i]!);
    if (r === 0) continue;
    for (let j = 0; j < d; j++) g0[j]! += r * x[i * d + j]!;
  }
  const scale = Math.max(violationAt(new Float64Array(d), g0), 1e-300);

  let f = evaluate(w);
  let nIter = 0;
  let violation = Infinity;
  for (; nIter < maxIter; nIter++) {
    violation = violationAt(w, g);
    if (violation <= tol * scale) break;
    // L1-penalised quadratic model, solved exactly: min_s g·s + ½ sᵀHs + ‖w + s‖₁
    exactQuadraticStep(g, H, w, d, step);
    let model = 0;
    let normW = 0;
    let normNew = 0;
    for (let j = 0; j < d; j++) {
      model += g[j]! * step[j]!;
      normW += Math.abs(w[j]!);
      normNew += Math.abs(w[j]! + step[j]!);
    }
    const decrease = model + normNew - normW; // ≤ 0
    let t = 1;
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let j = 0; j < d; j++) trial[j] = w[j]! + t * step[j]!;
      const ft = evaluate(trial); // g and H now belong to the trial point
      // near the optimum F changes below its rounding error: a step that does not measurably raise it is taken
      if (ft <= f + 0.01 * t * decrease || ft - f <= 1e-13 * Math.abs(f)) {
        w.set(trial);
        f = ft;
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      evaluate(w);
      violation = violationAt(w, g);
      break;
    }
  }
  return { w, nIter, violation };
}

/**
 * Exact minimiser of q(u) = g·(u − w) + ½ (u − w)ᵀH(u − w) + ‖u‖₁ for small d: for every sign pattern σ ∈ {−, 0, +}^d
 * solve the stationarity system on the support, keep the solutions whose signs agree with σ, take the best q.
 * Writes s = u − w.
 */
function exactQuadraticStep(g: Float64Array, H: Float64Array, w: Float64Array, d: number, s: Float64Array): void {
  const nPatterns = 3 ** d;
  const sign = new Int8Array(d);
  const u = new Float64Array(d);
  let best = Infinity;
  const bestU = new Float64Array(d);
  for (let code = 0; code < nPatterns; code++) {
    let c = code;
    const support: number[] = [];
    for (let j = 0; j < d; j++) {
      sign[j] = (c % 3) - 1;
      c = Math.floor(c / 3);
      if (sign[j] !== 0) support.push(j);
    }
    u.fill(0);
    if (support.length > 0) {
      const k = support.length;
      const A = new Float64Array(k * k);
      const rhs = new Float64Array(k);
      for (let a = 0; a < k; a++) {
        const ja = support[a]!;
        let r = -g[ja]! - sign[ja]!;
        for (let j = 0; j < d; j++) r += H[ja * d + j]! * w[j]!;
        rhs[a] = r;
        for (let b = 0; b < k; b++) A[a * k + b] = H[ja * d + support[b]!]!;
      }
      if (!solveSmall(A, rhs, k)) continue;
      let consistent = true;
      for (let a = 0; a < k; a++) {
        const v = rhs[a]!;
        if (Math.sign(v) !== sign[support[a]!]) consistent = false;
        u[support[a]!] = v;
      }
      if (!consistent) continue;
    }
    let q = 0;
    for (let j = 0; j < d; j++) {
      const dj = u[j]! - w[j]!;
      let hd = 0;
      for (let k2 = 0; k2 < d; k2++) hd += H[j * d + k2]! * (u[k2]! - w[k2]!);
      q += g[j]! * dj + 0.5 * dj * hd + Math.abs(u[j]!);
    }
    if (q < best) {
      best = q;
      bestU.set(u);
    }
  }
  for (let j = 0; j < d; j++) s[j] = bestU[j]! - w[j]!;
}

/** Gaussian elimination with partial pivoting; the solution replaces rhs. False when singular. */
function solveSmall(A: Float64Array, rhs: Float64Array, k: number): boolean {
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r * k + col]!) > Math.abs(A[piv * k + col]!)) piv = r;
    if (!(Math.abs(A[piv * k + col]!) > 0)) return false;
    if (piv !== col) {
      for (let c = 0; c < k; c++) {
        const t = A[col * k + c]!;
        A[col * k + c] = A[piv * k + c]!;
        A[piv * k + c] = t;
      }
      const t = rhs[col]!;
      rhs[col] = rhs[piv]!;
      rhs[piv] = t;
    }
    for (let r = col + 1; r < k; r++) {
      const f = A[r * k + col]! / A[col * k + col]!;
      if (f === 0) continue;
      for (let c = col; c < k; c++) A[r * k + c]! -= f * A[col * k + c]!;
      rhs[r]! -= f * rhs[col]!;
    }
  }
  for (let r = k - 1; r >= 0; r--) {
    let v = rhs[r]!;
    for (let c = r + 1; c < k; c++) v -= A[r * k + c]! * rhs[c]!;
    rhs[r] = v / A[r * k + r]!;
  }
  return true;
}
