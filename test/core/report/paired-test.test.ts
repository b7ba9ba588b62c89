import { describe, expect, it } from 'vitest';
import { comparePairedRuns, pairedTTest, signTest } from '../../../lambdas/core/report/paired-test.ts';
import { binomialHalfCdf, incompleteBeta, logGamma, studentTQuantile, studentTTwoSided } from '../../../lambdas/core/report/special-functions.ts';

describe('special-functions', () => {
  it('gives ln Γ of integers and halves', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });

  it('gives I_x(a, b) in closed form cases', () => {
    // I_x(1, 1) = x; I_x(2, 1) = x²; I_x(1, 2) = 1 − (1 − x)²
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 13);
    expect(incompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 13);
    expect(incompleteBeta(0.8, 1, 2)).toBeCloseTo(1 - 0.04, 13);
  });

  it('gives Student t tails in the closed forms for 1, 2 and 4 degrees of freedom', () => {
    // ν = 1 (Cauchy): p = 1 − (2/π) atan|t|; ν = 2: p = 1 − |t| / √(2 + t²)
    expect(studentTTwoSided(2, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(2), 12);
    expect(studentTTwoSided(-3, 2)).toBeCloseTo(1 - 3 / Math.sqrt(11), 12);
    // ν = 4: p = 1 − s (3 − s²) / 2 with s = |t| / √(t² + 4); t = 1.5 → s = 0.6, p = 0.208
    const s = 1.5 / Math.sqrt(1.5 ** 2 + 4);
    expect(studentTTwoSided(1.5, 4)).toBeCloseTo(1 - (s * (3 - s * s)) / 2, 12);
    expect(studentTTwoSided(1.5, 4)).toBeCloseTo(0.208, 12);
  });

  it('approaches the normal distribution for large degrees of freedom', () => {
    expect(studentTTwoSided(1.959963984540054, 1e7)).toBeCloseTo(0.05, 6);
  });

  it('inverts the t CDF: the closed-form quantiles of 1 and 2 degrees of freedom', () => {
    // ν = 1: tan(π (p − ½)); ν = 2: (2p − 1) / √(2 p (1 − p))
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 9);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(0.95 / Math.sqrt(2 * 0.975 * 0.025), 11);
    expect(studentTQuantile(0.025, 2)).toBeCloseTo(-0.95 / Math.sqrt(2 * 0.975 * 0.025), 11);
  });

  it('sums binomial(n, ½) tails exactly for small n and without underflow for large n', () => {
    expect(binomialHalfCdf(2, 10)).toBeCloseTo(56 / 1024, 14);
    expect(binomialHalfCdf(0, 3)).toBeCloseTo(1 / 8, 14);
    expect(binomialHalfCdf(402, 805)).toBeCloseTo(0.5, 12); // symmetric: P(X ≤ 402) = ½ for odd n
    expect(binomialHalfCdf(300, 2000)).toBeGreaterThan(0);
  });
});

describe('paired-test', () => {
  describe('pairedTTest', () => {
    it('matches the hand computation for d = (1, 2, 3)', () => {
      // mean 2, sd 1, se 1/√3, t = 2√3, ν = 2 → p = 1 − √12/√14; CI 2 ± t₀.₉₇₅,₂ / √3 with t₀.₉₇₅,₂ = 0.95 / √0.04875
      const r = pairedTTest([1, 2, 3]);
      expect(r.mean).toBe(2);
      expect(r.standardError).toBeCloseTo(1 / Math.sqrt(3), 14);
      expect(r.t).toBeCloseTo(2 * Math.sqrt(3), 12);
      expect(r.df).toBe(2);
      expect(r.p).toBeCloseTo(1 - Math.sqrt(12 / 14), 12);
      const q = 0.95 / Math.sqrt(0.04875);
      expect(r.ci95[0]).toBeCloseTo(2 - q / Math.sqrt(3), 10);
      expect(r.ci95[1]).toBeCloseTo(2 + q / Math.sqrt(3), 10);
    });

    it('matches the hand computation for d = (1, 3) with one degree of freedom', () => {
      // mean 2, sd √2, se 1, t 2 → p = 1 − (2/π) atan 2 ≈ 0.2952
      const r = pairedTTest([1, 3]);
      expect(r.t).toBeCloseTo(2, 13);
      expect(r.p).toBeCloseTo(0.29516723530086653, 10);
      expect(r.ci95[1]).toBeCloseTo(2 + Math.tan(Math.PI * 0.475), 8);
    });

    it('reports no change with p = 1 when every difference is zero, and a certain one when all are equal', () => {
      expect(pairedTTest([0, 0, 0])).toMatchObject({ mean: 0, t: 0, p: 1 });
      expect(pairedTTest([5, 5, 5])).toMatchObject({ mean: 5, t: Infinity, p: 0, ci95: [5, 5] });
    });

    it('returns NaN statistics for fewer than two pairs', () => {
      expect(Number.isNaN(pairedTTest([4]).p)).toBe(true);
    });
  });

  describe('signTest', () => {
    it('gives p = 2 · (C(10,0) + C(10,1) + C(10,2)) / 2¹⁰ for 8 better, 2 worse (zeros set aside)', () => {
      const r = signTest([1, 2, 3, 4, 5, 6, 7, 8, -1, -2, 0]);
      expect(r).toMatchObject({ better: 8, worse: 2, equal: 1 });
      expect(r.p).toBeCloseTo(112 / 1024, 14);
    });

    it('caps p at 1 for a balanced sample', () => {
      expect(signTest([1, -1]).p).toBe(1);
      expect(signTest([]).p).toBe(1);
    });
  });

  describe('comparePairedRuns', () => {
    it('pairs by instruction, drops failed judgements, reads a legacy tie code 0 as 1.5, and scales to win-rate points', () => {
      const a = [
        { instruction: 'x', preference: 1.2 }, { instruction: 'y', preference: 1.5 }, { instruction: 'z', preference: null },
        { instruction: 'w', preference: 1.0 }, { instruction: 'only-a', preference: 2 },
      ];
      const b = [
        { instruction: 'w', preference: 1.3 }, { instruction: 'y', preference: 0 }, { instruction: 'x', preference: 1.6 },
        { instruction: 'z', preference: 2 }, { instruction: 'only-b', preference: 1 },
      ];
      const r = comparePairedRuns(a, b);
      // pairs: w +30, y 0, x +40 (z dropped: failed in a)
      expect(r.shared).toBe(3);
      expect(r.tTest.mean).toBeCloseTo(70 / 3, 10);
      expect(r.signTest).toMatchObject({ better: 2, worse: 0, equal: 1 });
      expect(r.signTest.p).toBeCloseTo(0.5, 14);
    });
  });
});
