import { describe, expect, it } from 'vitest';
import { legacyPermutation, selectMaxInstances } from '../../../lambdas/core/eval-set/max-instances.ts';
import { UsageError } from '../../../lambdas/core/errors.ts';
import { needFixtures, readFixtureJson } from '../../support/fixtures.ts';

const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const ALPACA_7B = 'outputs/alpaca-7b.model_outputs.json.gz';
const PHI_2 = 'outputs/phi-2.model_outputs.json.gz';

type Row = { instruction: string; output: string };

// Every expected permutation below was printed by real numpy 2.4.6 (legacy RandomState), e.g.
// `np.random.RandomState(123).permutation(805)`.
describe('max-instances', () => {
  describe('legacyPermutation', () => {
    it('equals numpy RandomState(123).permutation(10) and RandomState(42).permutation(10)', () => {
      // Act
      const p123 = legacyPermutation(10);
      const p42 = legacyPermutation(10, { seed: 42 });
      // Assess
      expect(p123).toEqual([4, 0, 7, 5, 8, 3, 1, 6, 9, 2]);
      expect(p42).toEqual([8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
    });

    it('equals numpy RandomState(123).permutation(805), the eval set size', () => {
      // Act
      const p = legacyPermutation(805);
      // Assess
      expect(p.slice(0, 20)).toEqual([36, 162, 614, 172, 55, 730, 520, 131, 634, 799, 156, 589, 754, 738, 283, 547, 209, 226, 446, 416]);
      expect(p.slice(-10)).toEqual([123, 106, 595, 17, 742, 98, 322, 382, 365, 510]);
      expect(p.reduce((acc, v, i) => acc + i * v, 0)).toBe(131035357);
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 805 }, (_, i) => i));
    });

    it('equals numpy for other sizes, including 0, 1, 2 and one needing wide masks', () => {
      // Act
      const p804 = legacyPermutation(804).slice(0, 10);
      const big = legacyPermutation(100_000);
      // Assess
      expect(p804).toEqual([36, 162, 499, 172, 55, 517, 585, 131, 511, 741]);
      expect(legacyPermutation(0)).toEqual([]);
      expect(legacyPermutation(1)).toEqual([0]);
      expect(legacyPermutation(2)).toEqual([1, 0]);
      expect(legacyPermutation(3)).toEqual([0, 1, 2]);
      expect(legacyPermutation(4)).toEqual([3, 0, 1, 2]);
      expect(big.slice(0, 5)).toEqual([42083, 71825, 99535, 47879, 36734]);
      expect(big.slice(-3)).toEqual([17730, 28030, 15725]);
    });

    it('throws UsageError for a negative size or an invalid seed', () => {
      // Assess
      expect(() => legacyPermutation(-1)).toThrow(UsageError);
      expect(() => legacyPermutation(3, { seed: -1 })).toThrow(UsageError);
      expect(() => legacyPermutation(3, { seed: 2 ** 32 })).toThrow(UsageError);
    });
  });

  describe('selectMaxInstances', () => {
    it('shuffles equal-length tables with the same permutation, then keeps the first k of each', () => {
      // Prepare
      const reference = Array.from({ length: 10 }, (_, i) => `r${i}`);
      const modelOutputs = Array.from({ length: 10 }, (_, i) => `m${i}`);
      // Act
      const result = selectMaxInstances({ modelOutputs, reference, maxInstances: 3 });
      // Assess
      expect(result).toEqual({ modelOutputs: ['m4', 'm0', 'm7'], reference: ['r4', 'r0', 'r7'], shuffled: true });
    });

    it('cuts tables of different lengths without shuffling', () => {
      // Prepare
      const reference = ['r0', 'r1', 'r2', 'r3'];
      const modelOutputs = ['m0', 'm1', 'm2'];
      // Act
      const result = selectMaxInstances({ modelOutputs, reference, maxInstances: 2 });
      // Assess
      expect(result).toEqual({ modelOutputs: ['m0', 'm1'], reference: ['r0', 'r1'], shuffled: false });
    });

    it('keeps everything, shuffled, when k is at least the length', () => {
      // Act
      const result = selectMaxInstances({ modelOutputs: [10, 11, 12, 13, 14], reference: [20, 21, 22, 23, 24], maxInstances: 50 });
      // Assess: numpy RandomState(123).permutation(5) = [1, 3, 4, 0, 2]
      expect(result.modelOutputs).toEqual([11, 13, 14, 10, 12]);
      expect(result.reference).toEqual([21, 23, 24, 20, 22]);
    });

    it('throws UsageError unless k is a positive integer', () => {
      // Assess
      for (const k of [0, -1, 1.5, Number.NaN]) {
        expect(() => selectMaxInstances({ modelOutputs: [1], reference: [1], maxInstances: k })).toThrow(UsageError);
      }
    });

    it('selects the same instructions on both sides for a model file in reference order', (ctx) => {
      // Prepare
      needFixtures(ctx, REFERENCE, ALPACA_7B, PHI_2);
      const reference = readFixtureJson<Row[]>(REFERENCE);
      const alpaca = readFixtureJson<Row[]>(ALPACA_7B);
      const phi = readFixtureJson<Row[]>(PHI_2);
      // Act
      const same = selectMaxInstances({ modelOutputs: alpaca, reference, maxInstances: 5 });
      const shorter = selectMaxInstances({ modelOutputs: phi, reference, maxInstances: 200 });
      // Assess: rows 36, 162, 614, 172, 55 of the eval set; phi-2 (803 rows) is cut, not shuffled, and drifts
      expect(same.reference).toEqual([36, 162, 614, 172, 55].map((i) => reference[i]));
      expect(same.modelOutputs.map((r) => r.instruction)).toEqual(same.reference.map((r) => r.instruction));
      expect(shorter.shuffled).toBe(false);
      expect(shorter.modelOutputs[199]!.instruction).not.toBe(shorter.reference[199]!.instruction);
    });
  });
});
