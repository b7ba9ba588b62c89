import { describe, expect, it } from 'vitest';
import { codePointLength, npSum, pairwiseSum, pandasSem, pandasStd } from '../../../lambdas/core/metrics/numeric.ts';

describe('numeric', () => {
  describe('pairwiseSum', () => {
    it('adds in numpy order, which differs from a left-to-right loop', () => {
      // 1e16 + 1 + 1 + ... loses every 1 sequentially; numpy's 8 accumulators keep them
      const a = new Float64Array(16).fill(1);
      a[0] = 1e16;
      let sequential = 0;
      for (const x of a) sequential += x;
      expect(sequential).toBe(1e16);
      // r0 = 1e16 + 1 (lost), r1..r7 = 2 each → (1e16 + 2) + 12 = 1e16 + 14
      expect(pairwiseSum(a)).toBe(1e16 + 14);
    });

    it('splits above 128 elements at a multiple of 8', () => {
      const a = Float64Array.from({ length: 1000 }, (_, i) => 0.1 * (i % 7));
      const left = pairwiseSum(a, 0, 496);
      const right = pairwiseSum(a, 496, 504);
      expect(npSum(a)).toBe(left + right);
    });
  });

  describe('pandasStd and pandasSem', () => {
    it('use ddof = 1', () => {
      expect(pandasStd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 15);
      expect(pandasSem([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3) / 2, 15);
    });

    it('returns NaN for a single value', () => {
      expect(pandasStd([1])).toBeNaN();
    });
  });

  describe('codePointLength', () => {
    it('counts an astral character once', () => {
      expect('😀a'.length).toBe(3);
      expect(codePointLength('😀a')).toBe(2);
    });

    it('counts a lone surrogate as one code point, as Python does', () => {
      expect(codePointLength('\ud800x')).toBe(2);
    });
  });
});
