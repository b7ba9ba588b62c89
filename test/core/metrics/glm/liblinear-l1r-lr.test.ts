import { describe, expect, it } from 'vitest';
import { boundedRandInt, prepareL1rLr, solveL1rLr } from '../../../../lambdas/core/metrics/glm/liblinear-l1r-lr.ts';
import { Mt19937 } from '../../../../lambdas/core/random/mt19937.ts';

interface Data {
  x: Float64Array;
  n: number;
  d: number;
  y: number[];
  sampleWeight: Float64Array;
}

/** A non-separable logistic problem drawn from a fixed MT19937 stream. */
function logisticData(n: number, wTrue: number[], seed: number): Data {
  const rng = Mt19937.fromSeed(seed);
  const d = wTrue.length;
  const x = new Float64Array(n * d);
  const y: number[] = [];
  const sampleWeight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) {
      x[i * d + j] = rng.nextDouble() * 4 - 2;
      z += x[i * d + j]! * wTrue[j]!;
    }
    y.push(rng.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
    sampleWeight[i] = 0.5 + rng.nextDouble();
  }
  return { x, n, d, y, sampleWeight };
}

/** Loss-part gradient Σ_i s_i (σ(w·x_i) − y_i) x_i (labels 0/1). */
function lossGradient(data: Data, w: ArrayLike<number>): number[] {
  const g = new Array<number>(data.d).fill(0);
  for (let i = 0; i < data.n; i++) {
    let z = 0;
    for (let j = 0; j < data.d; j++) z += data.x[i * data.d + j]! * w[j]!;
    const r = data.sampleWeight[i]! * (1 / (1 + Math.exp(-z)) - data.y[i]!);
    for (let j = 0; j < data.d; j++) g[j]! += r * data.x[i * data.d + j]!;
  }
  return g;
}

/** Unregularised weighted maximum likelihood by Newton's method (test oracle). */
function newtonMle(data: Data): number[] {
  const { d } = data;
  const w = new Array<number>(d).fill(0);
  for (let it = 0; it < 50; it++) {
    const g = lossGradient(data, w);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < data.n; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += data.x[i * d + j]! * w[j]!;
      const q = 1 / (1 + Math.exp(-z));
      const h = data.sampleWeight[i]! * q * (1 - q);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) H[a]![b]! += h * data.x[i * d + a]! * data.x[i * d + b]!;
    }
    // solve H·step = g by Gaussian elimination
    const M = H.map((row, a) => [...row, g[a]!]);
    for (let c = 0; c < d; c++) {
      let piv = c;
      for (let r = c + 1; r < d; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
      [M[c], M[piv]] = [M[piv]!, M[c]!];
      for (let r = 0; r < d; r++) {
        if (r === c) continue;
        const f = M[r]![c]! / M[c]![c]!;
        for (let k = c; k <= d; k++) M[r]![k]! -= f * M[c]![k]!;
      }
    }
    for (let a = 0; a < d; a++) w[a]! -= M[a]![d]! / M[a]![a]!;
  }
  return w;
}

/** Lemire's bounded integer on 64-bit integers (test oracle). */
function boundedRandIntBig(rng: Mt19937, range: number): number {
  const R = BigInt(range);
  let x = BigInt(rng.nextUint32());
  let m = x * R;
  let l = m & 0xffffffffn;
  if (l < R) {
    const t = ((1n << 32n) - R) % R;
    while (l < t) {
      x = BigInt(rng.nextUint32());
      m = x * R;
      l = m & 0xffffffffn;
    }
  }
  return Number(m >> 32n);
}

describe('liblinear-l1r-lr', () => {
  describe('boundedRandInt', () => {
    it('equals the 64-bit Lemire algorithm for small, large and near-2^32 ranges', () => {
      // Prepare
      const ranges = [1, 2, 3, 7, 1000, 2097151, 2097152, 3_000_000_000, 4294967295];
      for (const range of ranges) {
        const a = Mt19937.fromSeed(range);
        const b = Mt19937.fromSeed(range);
        // Act
        const ours = Array.from({ length: 2000 }, () => boundedRandInt(a, range));
        const oracle = Array.from({ length: 2000 }, () => boundedRandIntBig(b, range));
        // Assess
        expect(ours, `range ${range}`).toEqual(oracle);
        expect(ours.every((v) => v >= 0 && v < range)).toBe(true);
        expect(a.nextUint32()).toBe(b.nextUint32()); // same number of draws consumed
      }
    });

    it('consumes one draw even when the range is 1', () => {
      // Prepare
      const rng = Mt19937.fromSeed(5);
      const reference = Mt19937.fromSeed(5);
      reference.nextUint32();
      // Act
      const v = boundedRandInt(rng, 1);
      // Assess
      expect(v).toBe(0);
      expect(rng.nextUint32()).toBe(reference.nextUint32());
    });
  });

  describe('solveL1rLr', () => {
    it('returns w = 0 without iterating when every row has both labels with equal weight', () => {
      // Prepare: the gradient at w = 0 vanishes, so Gnorm1_init = 0
      const base = [[1, 2], [-0.5, 3], [2, -1]];
      const x = new Float64Array([...base.flat(), ...base.flat()]);
      // Act
      const r = solveL1rLr({ x, n: 6, d: 2, y: [1, 1, 1, 0, 0, 0], sampleWeight: new Float64Array(6).fill(0.7), C: 10, seed: 1 });
      // Assess
      expect(Array.from(r.w)).toEqual([0, 0]);
      expect(r.nIter).toBe(0);
    });

    it('approaches the unregularised maximum-likelihood solution when C is huge', () => {
      // Prepare
      const data = logisticData(400, [1.2, -0.8, 0.4], 3);
      const mle = newtonMle(data);
      // Act
      const r = solveL1rLr({ ...data, C: 1e6, tol: 1e-10, maxIter: 1000, seed: 42 });
      // Assess
      for (let j = 0; j < 3; j++) expect(Math.abs(r.w[j]! - mle[j]!)).toBeLessThan(1e-6);
      expect(Math.max(...lossGradient(data, mle).map(Math.abs))).toBeLessThan(1e-9);
    });

    it('satisfies the L1 optimality conditions at a moderate C, with an exactly zero coefficient', () => {
      // Prepare
      const data = logisticData(300, [1.5, -1, 0], 9);
      const C = 0.02;
      // Act
      const r = solveL1rLr({ ...data, C, tol: 1e-10, maxIter: 1000, seed: 123 });
      // Assess: C·∇loss_j = −sign(w_j) when w_j ≠ 0, |C·∇loss_j| ≤ 1 when w_j = 0
      const g = lossGradient(data, r.w).map((v) => C * v);
      expect(r.w[2]).toBe(0);
      for (let j = 0; j < 3; j++) {
        if (r.w[j] === 0) expect(Math.abs(g[j]!)).toBeLessThanOrEqual(1 + 1e-6);
        else expect(Math.abs(g[j]! + Math.sign(r.w[j]!))).toBeLessThan(1e-6);
      }
    });

    it('is deterministic for a seed and reacts to the seed only at the solver tolerance', () => {
      // Prepare
      const data = logisticData(300, [0.7, -0.3, 0.2], 4);
      // Act
      const a = solveL1rLr({ ...data, C: 1, seed: 11 });
      const b = solveL1rLr({ ...data, C: 1, seed: 11 });
      const c = solveL1rLr({ ...data, C: 1, seed: 12 });
      // Assess
      expect(Array.from(a.w)).toEqual(Array.from(b.w));
      expect(a.nIter).toBe(b.nIter);
      for (let j = 0; j < 3; j++) expect(Math.abs(a.w[j]! - c.w[j]!)).toBeLessThan(1e-2);
    });

    it('drops rows with weight ≤ 0 (or NaN) before anything else, leaving the result bit-identical', () => {
      // Prepare
      const data = logisticData(200, [1, -1], 6);
      const extra = [[5, 5], [-3, 2], [0.1, 0.2]];
      const x = new Float64Array([...data.x, ...extra.flat()]);
      const y = [...data.y, 1, 0, 1];
      const sampleWeight = new Float64Array([...data.sampleWeight, 0, -2, NaN]);
      // Act
      const clean = solveL1rLr({ ...data, C: 3, seed: 8 });
      const padded = solveL1rLr({ x, n: data.n + 3, d: 2, y, sampleWeight, C: 3, seed: 8 });
      // Assess
      expect(Array.from(padded.w)).toEqual(Array.from(clean.w));
      expect(padded.nIter).toBe(clean.nIter);
    });

    it('treats the larger of two label values as the positive class, whatever the values', () => {
      // Prepare
      const data = logisticData(200, [0.5, 1], 2);
      // Act
      const zeroOne = solveL1rLr({ ...data, C: 2, seed: 3 });
      const signs = solveL1rLr({ ...data, y: data.y.map((v) => (v ? 1 : -1)), C: 2, seed: 3 });
      const other = solveL1rLr({ ...data, y: data.y.map((v) => (v ? 7 : 3)), C: 2, seed: 3 });
      // Assess
      expect(Array.from(signs.w)).toEqual(Array.from(zeroOne.w));
      expect(Array.from(other.w)).toEqual(Array.from(zeroOne.w));
      expect(zeroOne.w[0]).toBeGreaterThan(0);
    });

    it('refuses data with a single class, like scikit-learn', () => {
      // Act / Assess
      expect(() => solveL1rLr({ x: new Float64Array([1, 2]), n: 2, d: 1, y: [1, 1], sampleWeight: new Float64Array([1, 1]), C: 1, seed: 0 }))
        .toThrow(/at least 2 classes/);
    });

    it('gives the same bits with and without declared identical rows, and checks the declaration', () => {
      // Prepare: every row twice (y = 1 with weight p, y = 0 with weight 1 − p), as the LC fit does
      const base = logisticData(150, [1, -0.5, 0.25], 10);
      const n = 2 * base.n;
      const x = new Float64Array([...base.x, ...base.x]);
      const y = [...base.y.map(() => 1), ...base.y.map(() => 0)];
      const p = Array.from(base.sampleWeight, (s) => s - 0.5);
      const sampleWeight = new Float64Array([...p, ...p.map((v) => 1 - v)]);
      const ids = Array.from({ length: n }, (_, k) => k % base.n);
      // Act
      const hashed = solveL1rLr({ x, n, d: 3, y, sampleWeight, C: 5, seed: 99 });
      const declared = solveL1rLr({ x, n, d: 3, y, sampleWeight, identicalRowIds: ids, C: 5, seed: 99 });
      const prepared = prepareL1rLr({ x, n, d: 3, y, sampleWeight, identicalRowIds: ids });
      // Assess
      expect(Array.from(declared.w)).toEqual(Array.from(hashed.w));
      expect(prepared.nUnique).toBe(base.n);
      expect(prepared.l).toBe(n);
      expect(Array.from(prepared.ySign.slice(0, base.n)).every((s) => s === -1)).toBe(true);
      const wrong = ids.map((v, k) => (k === 3 ? 4 : v));
      expect(() => prepareL1rLr({ x, n, d: 3, y, sampleWeight, identicalRowIds: wrong })).toThrow(/features differ/);
    });

    it('returns w = 0 when no row has a positive weight', () => {
      // Act
      const r = solveL1rLr({ x: new Float64Array([1, 2]), n: 2, d: 1, y: [0, 1], sampleWeight: new Float64Array([0, 0]), C: 1, seed: 0 });
      // Assess
      expect(Array.from(r.w)).toEqual([0]);
      expect(r.nIter).toBe(0);
    });
  });
});
