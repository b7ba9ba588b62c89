import { describe, expect, it } from 'vitest';
import {
  armForModel, bootstrapPValue, drawCounts, interval95, mergeReplicates, percentile, runReplicates, splitRange, type BootstrapPlan,
} from '../../../../lambdas/core/metrics/glm/bootstrap.ts';
import type { GamedRow } from '../../../../lambdas/core/metrics/glm/gamed-table.ts';
import { solveL1LogisticNewton } from '../../../../lambdas/core/metrics/glm/l1-logistic-newton.ts';
import {
  prepareL1rLr, reweightPrepared, solvePreparedL1rLr,
} from '../../../../lambdas/core/metrics/glm/liblinear-l1r-lr.ts';
import { lengthControlledWinRate, prepareLengthControlled, type LcAnnotationRow } from '../../../../lambdas/core/metrics/glm/length-controlled.ts';
import { allRows, prepareRows } from '../../../../lambdas/core/metrics/glm/logistic-cv.ts';
import { Mt19937 } from '../../../../lambdas/core/random/mt19937.ts';

/** An LC problem of 80 instructions with a length effect, 2 gamed rows per instruction. */
function synthetic(seed = 3): { annotations: LcAnnotationRow[]; gamed: GamedRow[] } {
  const rng = Mt19937.fromSeed(seed);
  const gamed: GamedRow[] = [];
  const difficulty = Array.from({ length: 80 }, () => rng.nextDouble() * 2 - 1);
  for (let g = 0; g < 2; g++) {
    for (let i = 0; i < 80; i++) {
      gamed.push({ index: i, preference: rng.nextDouble(), std_delta_len: rng.nextDouble() * 4 - 2, instruction_difficulty: difficulty[i]!, not_gamed_baseline: g === 0 });
    }
  }
  const annotations = Array.from({ length: 80 }, (_, i) => {
    const l2 = 1 + (rng.nextUint32() % 400);
    const p = Math.min(2, Math.max(1, 1 + 0.3 + (l2 / 400) * 0.4 - difficulty[i]! * 0.2 + (rng.nextDouble() - 0.5) * 0.4));
    return { instruction: `q${i}`, output_1: 'r'.repeat(200), output_2: 'm'.repeat(l2), preference: i === 7 ? null : p, generator_1: 'base', generator_2: 'model' };
  });
  return { annotations, gamed };
}

function planOf(seed = 3, solver: 'newton' | 'liblinear' = 'newton'): { plan: BootstrapPlan; lc: ReturnType<typeof lengthControlledWinRate> } {
  const { annotations, gamed } = synthetic(seed);
  const lc = lengthControlledWinRate({ annotations, gamed });
  return { plan: { nInstructions: annotations.length, seed: 11, solver, arms: [armForModel(annotations, gamed, lc, { solver })] }, lc };
}

describe('bootstrap over instructions', () => {
  it('draws n instructions with replacement, the same draw for the same (seed, replicate), another for another replicate', () => {
    const a = drawCounts(5, 0, 100);
    expect(a.reduce((s, x) => s + x, 0)).toBe(100);
    expect(Array.from(drawCounts(5, 0, 100))).toEqual(Array.from(a));
    expect(Array.from(drawCounts(5, 1, 100))).not.toEqual(Array.from(a));
    // about 1 − 1/e of the instructions are drawn at least once
    const drawn = a.filter((c) => c > 0).length;
    expect(drawn).toBeGreaterThan(50);
    expect(drawn).toBeLessThan(75);
  });

  it('gives the same replicate values however the index range is split (the thread count cannot matter)', () => {
    const { plan } = planOf();
    const whole = runReplicates(plan, 0, 30);
    const parts = splitRange(30, 4).map(([s, e]) => runReplicates(plan, s, e));
    const merged = mergeReplicates(parts.reverse(), 1);
    expect(Array.from(merged.lc[0]!)).toEqual(Array.from(whole.lc[0]!));
    expect(Array.from(merged.winRate[0]!)).toEqual(Array.from(whole.winRate[0]!));
  });

  it('makes an interval that contains the point estimates and is wider than ±1.96 × the official lc_standard_error', () => {
    const { plan, lc } = planOf();
    const r = runReplicates(plan, 0, 200);
    const [lo, hi] = interval95(r.lc[0]!);
    expect(lo).toBeLessThan(lc.lengthControlledWinrate);
    expect(hi).toBeGreaterThan(lc.lengthControlledWinrate);
    expect(hi - lo).toBeGreaterThan(2 * 1.96 * lc.lcStandardError);
    const [wlo, whi] = interval95(r.winRate[0]!);
    expect(wlo).toBeLessThan(lc.extremeChange.winRate);
    expect(whi).toBeGreaterThan(lc.extremeChange.winRate);
  });

  it('exact (Newton) and liblinear refits give interval endpoints within 0.05 points on the same resamples', () => {
    const n = runReplicates(planOf(3, 'newton').plan, 0, 60);
    const l = runReplicates(planOf(3, 'liblinear').plan, 0, 60);
    const a = interval95(n.lc[0]!);
    const b = interval95(l.lc[0]!);
    expect(Math.abs(a[0] - b[0])).toBeLessThan(0.05);
    expect(Math.abs(a[1] - b[1])).toBeLessThan(0.05);
  });

  it('resamples only the raw win rate of the baseline against itself (LC stays 50)', () => {
    const rows = synthetic().annotations.map((r) => ({ ...r, generator_2: 'base' }));
    const lc = lengthControlledWinRate({ annotations: rows, gamed: synthetic().gamed });
    const arm = armForModel(rows, synthetic().gamed, lc);
    const r = runReplicates({ nInstructions: rows.length, seed: 1, solver: 'newton', arms: [arm] }, 0, 5);
    expect(Array.from(r.lc[0]!)).toEqual([50, 50, 50, 50, 50]);
    expect(new Set(r.winRate[0]!).size).toBeGreaterThan(1);
  });
});

describe('percentile, p-value, ranges', () => {
  it('interpolates linearly like numpy.percentile', () => {
    const v = [10, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(percentile(v, 2.5)).toBeCloseTo(1.225, 12);
    expect(percentile(v, 97.5)).toBeCloseTo(9.775, 12);
    expect(percentile(v, 50)).toBe(5.5);
    expect(percentile([NaN, 3], 50)).toBe(3);
  });

  it('gives a two-sided bootstrap p-value with the add-one correction', () => {
    expect(bootstrapPValue([1, 2, 3, 4])).toBeCloseTo(0.4, 12); // 2·(1+0)/5
    expect(bootstrapPValue([-1, 1, -2, 2])).toBe(1);
    expect(bootstrapPValue([0, 0])).toBe(1);
  });

  it('splits ranges contiguously with sizes differing by at most one', () => {
    expect(splitRange(10, 3)).toEqual([[0, 4], [4, 7], [7, 10]]);
    expect(splitRange(2, 5)).toEqual([[0, 1], [1, 2]]);
    expect(splitRange(0, 2)).toEqual([]);
  });
});

describe('solvers used by the bootstrap', () => {
  const { annotations, gamed } = synthetic(4);
  const prepared = prepareLengthControlled({ annotations, gamed });
  const train = prepared.train;
  const problem = prepareRows(train, allRows(train));
  const a = Float64Array.from(train.p, (p, r) => p * train.s[r]!);
  const b = Float64Array.from(train.p, (p, r) => (1 - p) * train.s[r]!);

  it('liblinear is unchanged without a warm start, and reweighting by ones changes nothing', () => {
    const cold = solvePreparedL1rLr(problem, { C: 0.5, seed: 7 });
    const again = solvePreparedL1rLr(reweightPrepared(problem, problem.weight), { C: 0.5, seed: 7 });
    expect(Array.from(again.w)).toEqual(Array.from(cold.w));
    expect(again.nIter).toBe(cold.nIter);
  });

  it('Newton reaches the optimum liblinear approaches, and a warm-started liblinear stays there', () => {
    const lib = solvePreparedL1rLr(problem, { C: 0.5, seed: 7, tol: 1e-10, maxIter: 1000 });
    const newton = solveL1LogisticNewton(train.x, a, b, train.nRows, 3, { C: 0.5 });
    for (let j = 0; j < 3; j++) expect(newton.w[j]!).toBeCloseTo(lib.w[j]!, 6);
    const warm = solvePreparedL1rLr(problem, { C: 0.5, seed: 7, w0: newton.w });
    for (let j = 0; j < 3; j++) expect(warm.w[j]!).toBeCloseTo(newton.w[j]!, 6);
    expect(warm.nIter).toBeLessThanOrEqual(2);
  });

  it('an integer weight is the same objective as repeating the row', () => {
    const w2 = Float64Array.from({ length: train.nRows }, (_, r) => 1 + (r % 3));
    const weighted = solveL1LogisticNewton(train.x, a.map((x, r) => x * w2[r]!), b.map((x, r) => x * w2[r]!), train.nRows, 3, { C: 0.5 });
    const xs: number[] = [];
    const as: number[] = [];
    const bs: number[] = [];
    for (let r = 0; r < train.nRows; r++) {
      for (let k = 0; k < w2[r]!; k++) {
        xs.push(train.x[r * 3]!, train.x[r * 3 + 1]!, train.x[r * 3 + 2]!);
        as.push(a[r]!);
        bs.push(b[r]!);
      }
    }
    const repeated = solveL1LogisticNewton(Float64Array.from(xs), Float64Array.from(as), Float64Array.from(bs), as.length, 3, { C: 0.5 });
    for (let j = 0; j < 3; j++) expect(weighted.w[j]!).toBeCloseTo(repeated.w[j]!, 9);
  });

  it('Newton solves a problem with an exactly zero coefficient (L1 sparsity) like liblinear', () => {
    const lib = solvePreparedL1rLr(problem, { C: 1e-3, seed: 7, tol: 1e-10, maxIter: 1000 });
    const newton = solveL1LogisticNewton(train.x, a, b, train.nRows, 3, { C: 1e-3 });
    expect(Array.from(lib.w).filter((x) => x === 0).length).toBeGreaterThan(0);
    for (let j = 0; j < 3; j++) expect(newton.w[j]! === 0).toBe(lib.w[j]! === 0);
  });

  it('prepareL1rLr and reweightPrepared drop the rows whose weight is zero', () => {
    const p = prepareL1rLr({ x: Float64Array.from([1, 0, 0, 1, 1, 1]), n: 3, d: 2, y: [0, 1, 1], sampleWeight: [1, 1, 1] });
    const r = reweightPrepared(p, [1, 0, 2]);
    expect(r.l).toBe(2);
    expect(r.pos + r.neg).toBe(2);
    expect(Array.from(r.weight)).toEqual([1, 2]);
  });
});
