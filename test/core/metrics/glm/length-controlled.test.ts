import { describe, expect, it } from 'vitest';
import {
  buildTrainingSet, difficultyByRowNumber, featurizeModelRows, lcPreference,
} from '../../../../lambdas/core/metrics/glm/features.ts';
import type { GamedRow } from '../../../../lambdas/core/metrics/glm/gamed-table.ts';
import {
  extremeChange, lengthControlledWinRate, prepareLengthControlled, refitLengthControlledAtC, winRateOf,
  type LcAnnotationRow,
} from '../../../../lambdas/core/metrics/glm/length-controlled.ts';
import { foldScore, logspaceCs, prepareRows } from '../../../../lambdas/core/metrics/glm/logistic-cv.ts';
import { Mt19937 } from '../../../../lambdas/core/random/mt19937.ts';

const row = (output_1: string | null, output_2: string | null, preference: number | null, generator_2 = 'model'): LcAnnotationRow =>
  ({ output_1, output_2, preference, generator_1: 'base', generator_2 });
const gamedRow = (index: number, preference: number, std = 0.5, difficulty = 0.1): GamedRow =>
  ({ index, preference, std_delta_len: std, instruction_difficulty: difficulty, not_gamed_baseline: false });

/** A small but complete LC problem: 60 model rows, 120 gamed rows, drawn from a fixed stream. */
function synthetic(seed = 1): { annotations: LcAnnotationRow[]; gamed: GamedRow[] } {
  const rng = Mt19937.fromSeed(seed);
  const gamed: GamedRow[] = [];
  for (let g = 0; g < 2; g++) {
    for (let i = 0; i < 60; i++) gamed.push(gamedRow(i, rng.nextDouble(), rng.nextDouble() * 4 - 2, rng.nextDouble() * 2 - 1));
  }
  const annotations = Array.from({ length: 60 }, () =>
    row('x'.repeat(1 + (rng.nextUint32() % 300)), 'y'.repeat(1 + (rng.nextUint32() % 300)), 1 + rng.nextDouble()));
  return { annotations, gamed };
}

describe('length-controlled', () => {
  describe('lcPreference', () => {
    it('maps the legacy tie 0 to 1.5 before subtracting 1 and keeps NaN', () => {
      // Act / Assess
      expect(lcPreference(0)).toBe(0.5);
      expect(lcPreference(1.75)).toBe(0.75);
      expect(lcPreference(null)).toBeNaN();
    });
  });

  describe('featurizeModelRows', () => {
    it('measures lengths in code points, reference minus model, scaled by the ddof=1 standard deviation', () => {
      // Prepare: '😀' is one code point but two UTF-16 units
      const rows = [row('😀😀😀', 'a', 2), row('ab', 'abcd', 1), row('', 'abc', 1.5)];
      const gamed = [gamedRow(0, 0.5), gamedRow(1, 0.5), gamedRow(2, 0.5)];
      // Act
      const m = featurizeModelRows(rows, gamed);
      // Assess: deltas 2, −2, −3; mean −1; sd = sqrt((9 + 1 + 4) / 2)
      expect(Array.from(m.deltaLen)).toEqual([2, -2, -3]);
      const sd = Math.sqrt(7);
      expect(Array.from(m.stdDeltaLen)).toEqual([2 / sd, -2 / sd, -3 / sd]);
      expect(Array.from(m.preference)).toEqual([1, 0, 0.5]);
    });

    it('looks the difficulty up by df_gamed row number among the first row of each index value', () => {
      // Prepare: row 1 repeats index 0, so row number 1 has no difficulty
      const gamed = [gamedRow(0, 0.5, 0, 10), gamedRow(0, 0.5, 0, 11), gamedRow(2, 0.5, 0, 12)];
      // Act
      const table = difficultyByRowNumber(gamed);
      const one = featurizeModelRows([row('a', 'b', 1.2)], gamed);
      // Assess
      expect([...table.entries()]).toEqual([[0, 10], [2, 12]]);
      expect(Array.from(one.difficulty)).toEqual([10]);
      expect(() => featurizeModelRows([row('a', 'b', 1), row('a', 'bb', 1)], gamed)).toThrow(/model row 1/);
    });
  });

  describe('buildTrainingSet', () => {
    it('puts gamed rows (weight λ/2, not_gamed 0) before model rows (weight 1, not_gamed 1) and drops NaN preferences', () => {
      // Prepare
      const gamed = [gamedRow(0, 0.2, 1, 0.3), gamedRow(1, NaN), gamedRow(2, 0.9, -1, 0.4)];
      const model = featurizeModelRows([row('aa', 'a', 1.6), row('a', 'aa', null), row('a', 'aaa', 1.1)], gamed);
      // Act
      const t = buildTrainingSet(model, gamed, 0.2);
      // Assess
      expect(t.nRows).toBe(4);
      expect(t.nGamed).toBe(2);
      expect(Array.from(t.s)).toEqual([0.1, 0.1, 1, 1]);
      expect(Array.from(t.p)).toEqual([0.2, 0.9, 0.6000000000000001, 0.10000000000000009]);
      expect(Array.from(t.x.subarray(0, 6))).toEqual([Math.tanh(1), 0.3, 0, Math.tanh(-1), 0.4, 0]);
      expect(t.x[8]).toBe(1);
      expect(t.x[7]).toBe(model.difficulty[0]);
    });

    it('refuses a training row with a missing feature, which the official fit cannot handle', () => {
      // Prepare: a null model output gives a NaN length difference
      const gamed = [gamedRow(0, 0.5), gamedRow(1, 0.5)];
      const model = featurizeModelRows([row(null, 'a', 1.5), row('a', 'bb', 1.5), row('a', 'bbb', 1.2)], gamed.concat(gamedRow(2, 0.5)));
      // Act / Assess
      expect(() => buildTrainingSet(model, gamed)).toThrow(/model\[0\] has a missing feature/);
    });
  });

  describe('logspaceCs', () => {
    it('gives numpy 1.24\'s np.logspace(-4, 4, 10) bit for bit', () => {
      // Act / Assess
      expect(logspaceCs()).toEqual([
        9.999999999999999e-5, 0.000774263682681127, 0.005994842503189409, 0.046415888336127774, 0.3593813663804626,
        2.782559402207126, 21.54434690031882, 166.81005372000556, 1291.5496650148827, 10000,
      ]);
    });
  });

  describe('foldScore', () => {
    it('is −log 2 · mean weight at w = 0, whatever the targets', () => {
      // Prepare
      const { annotations, gamed } = synthetic();
      const { train } = prepareLengthControlled({ annotations, gamed });
      const rows = Int32Array.from([0, 5, 130, 140]);
      // Act
      const score = foldScore(train, rows, new Float64Array(3));
      // Assess: t·log ½ + (1 − t)·log ½ = −log 2 for every sample
      expect(score).toBeCloseTo((-Math.LN2 * (0.1 + 0.1 + 1 + 1)) / 4, 15);
    });
  });

  describe('prepareRows', () => {
    it('makes liblinear rows [y=0 copies, y=1 copies] and drops zero-weight copies', () => {
      // Prepare: p = 1 and p = 0 rows lose one copy each
      const gamed = [gamedRow(0, 1), gamedRow(1, 0), gamedRow(2, 0.25)];
      const model = featurizeModelRows([row('a', 'bb', 1.5), row('aa', 'b', 1.2)], gamed);
      const train = buildTrainingSet(model, gamed);
      // Act
      const prob = prepareRows(train, Int32Array.from([0, 1, 2, 3, 4]));
      // Assess: source rows index the stacked samples [y=1 of rows 0..4, y=0 of rows 0..4]
      expect(Array.from(prob.sourceRow)).toEqual([6, 7, 8, 9, 0, 2, 3, 4]);
      expect(Array.from(prob.ySign)).toEqual([-1, -1, -1, -1, 1, 1, 1, 1]);
      expect(prob.neg).toBe(4);
      expect(prob.pos).toBe(4);
      expect(prob.nUnique).toBe(5);
    });
  });

  describe('lengthControlledWinRate', () => {
    it('fits the CV grid, refits at the best C and predicts every model row, including NaN-preference rows', () => {
      // Prepare
      const { annotations, gamed } = synthetic(2);
      annotations[3] = { ...annotations[3]!, preference: null };
      // Act
      const r = lengthControlledWinRate({ annotations, gamed });
      // Assess
      expect(r.isBaseline).toBe(false);
      expect(r.nTrainRows).toBe(120 + 59);
      expect(r.glmPreference).toHaveLength(60);
      expect(r.cv!.foldScores).toHaveLength(5);
      expect(r.cv!.foldScores.every((f) => f.length === 10)).toBe(true);
      expect(r.cv!.foldSizesRows.reduce((a, b) => a + b, 0)).toBe(2 * 179);
      expect(r.C).toBe(r.cv!.Cs[r.cIndex!]);
      const best = Math.max(...r.cv!.sumScores);
      expect(r.cv!.sumScores.indexOf(best)).toBe(r.cIndex);
      const refit = refitLengthControlledAtC(prepareLengthControlled({ annotations, gamed }), r.C!);
      expect(refit.lengthControlledWinrate).toBe(r.lengthControlledWinrate);
      expect(Array.from(refit.glmPreference)).toEqual(Array.from(r.glmPreference));
      expect(r.sensitivity.map((s) => s.cIndex)).toEqual([r.cIndex! - 1, r.cIndex! + 1].filter((c) => c >= 0 && c < 10));
    });

    it('returns 50 / 0 with zero coefficients when the model is the baseline', () => {
      // Prepare
      const annotations = [row('same', 'same', 1.5, 'base'), row('x', 'x', 1.5, 'base')];
      // Act
      const r = lengthControlledWinRate({ annotations, gamed: [] });
      // Assess
      expect(r).toMatchObject({ isBaseline: true, lengthControlledWinrate: 50, lcStandardError: 0, C: null, cv: null, model: 'base', baseline: 'base' });
      expect(Array.from(r.glmPreference)).toEqual([0.5, 0.5]);
      expect(() => prepareLengthControlled({ annotations, gamed: [] })).toThrow(/baseline itself/);
    });

    it('refuses annotations of several models or without generators', () => {
      // Prepare
      const { gamed } = synthetic();
      // Act / Assess
      expect(() => lengthControlledWinRate({ annotations: [row('a', 'b', 1, 'm1'), row('a', 'b', 1, 'm2')], gamed })).toThrow(/one generator_2/);
      expect(() => lengthControlledWinRate({ annotations: [{ output_1: 'a', output_2: 'b', preference: 1 }], gamed })).toThrow(/generator_1 and generator_2/);
    });
  });

  describe('extremeChange', () => {
    it('flags LC below min(wr − wr/4, wr − 10) or above max(wr + (100 − wr)/4, wr + 10)', () => {
      // Act / Assess
      expect(extremeChange(50, 37.4)).toMatchObject({ tooSmall: true, tooLarge: false, warn: true });
      expect(extremeChange(50, 37.5)).toMatchObject({ warn: false });
      expect(extremeChange(80, 59.9)).toMatchObject({ tooSmall: true });
      expect(extremeChange(80, 60)).toMatchObject({ warn: false });
      expect(extremeChange(80, 90.1)).toMatchObject({ tooLarge: true });
      expect(extremeChange(5, -4)).toMatchObject({ warn: false });
      expect(extremeChange(50, 62.6)).toMatchObject({ tooLarge: true, warn: true });
      expect(extremeChange(50, 62.5)).toMatchObject({ warn: false });
      expect(extremeChange(2.59, 9.2)).toMatchObject({ warn: false });
    });
  });

  describe('winRateOf', () => {
    it('averages x − 1 over 1 ≤ x ≤ 2 after 0 → 1.5, skipping NaN', () => {
      // Act
      const wr = winRateOf([row('a', 'b', 2), row('a', 'b', 0), row('a', 'b', null), row('a', 'b', 1)]);
      // Assess
      expect(wr).toBe(50);
    });
  });
});
