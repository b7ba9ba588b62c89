import { describe, expect, it } from 'vitest';
import { parseGamedTable } from '../../../../lambdas/core/metrics/glm/gamed-table.ts';
import {
  FEATURE_NAMES, lengthControlledWinRate, prepareLengthControlled, refitLengthControlledAtC,
  type Coefficients, type LcAnnotationRow, type LcResult,
} from '../../../../lambdas/core/metrics/glm/length-controlled.ts';
import { goldenModels, needFixtures, readFixtureJson, readFixtureText } from '../../../support/fixtures.ts';

const GAMED = 'standin/df_gamed.csv';
const BASELINE = 'gpt4_1106_preview';

interface Golden {
  metrics: { win_rate: number; length_controlled_winrate: number; lc_standard_error: number };
  glm: {
    is_baseline: boolean;
    C: number | null;
    coefficients: Coefficients;
    cv: null | {
      C_index: number; Cs: number[]; fold_scores: number[][]; mean_scores: number[]; best_minus_second_mean_score: number;
      fold_sizes_rows: number[]; liblinear_seeds_cv: number[]; liblinear_seed_refit: number;
    };
    refit_by_C?: Array<{ C: number; coefficients: Coefficients; length_controlled_winrate: number }>;
  };
  glm_preference: number[];
  sensitivity?: {
    fold_mode_numpy_argsort?: { C: number; length_controlled_winrate: number; coefficients: Coefficients };
    naive_liblinear_seeds?: { C: number; length_controlled_winrate: number };
  };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const coefDiff = (a: Coefficients, b: Coefficients): number => Math.max(...FEATURE_NAMES.map((f) => Math.abs(a[f] - b[f])));

function load(ctx: { skip: (note?: string) => void }) {
  const models = goldenModels();
  needFixtures(ctx, GAMED, ...models.flatMap((m) => [`golden/${m}.json`, `annotations/${m}.annotations.json.gz`]));
  const gamed = parseGamedTable(readFixtureText(GAMED), 'df_gamed.csv');
  return models.map((m) => ({
    model: m,
    golden: readFixtureJson<Golden>(`golden/${m}.json`),
    annotations: readFixtureJson<LcAnnotationRow[]>(`annotations/${m}.annotations.json.gz`),
    gamed,
  }));
}

describe('length-controlled (goldens: sklearn 1.2.1 / liblinear on the stand-in df_gamed)', () => {
  describe('lengthControlledWinRate', () => {
    it('reproduces CV fold scores, chosen C, LC, its standard error and every prediction for all 15 golden models', (ctx) => {
      // Prepare
      const cases = load(ctx);
      const dev = { foldScores: 0, meanScores: 0, coefficients: 0, lc: 0, se: 0, glmPreference: 0 };
      let cMatches = 0;
      for (const { model, golden, annotations, gamed } of cases) {
        // Act
        const r: LcResult = lengthControlledWinRate({ annotations, gamed });
        // Assess
        expect(r.C, model).toBe(golden.glm.C);
        if (r.C === golden.glm.C) cMatches++;
        expect(r.isBaseline, model).toBe(golden.glm.is_baseline);
        const lcD = Math.abs(r.lengthControlledWinrate - golden.metrics.length_controlled_winrate);
        const seD = Math.abs(r.lcStandardError - golden.metrics.lc_standard_error);
        const pD = maxAbs(r.glmPreference, golden.glm_preference);
        const wD = coefDiff(r.coefficients, golden.glm.coefficients);
        expect(lcD, model).toBeLessThan(1e-4);
        expect(seD, model).toBeLessThan(1e-4);
        expect(r.glmPreference.length, model).toBe(golden.glm_preference.length);
        expect(pD, model).toBeLessThan(1e-9);
        expect(wD, model).toBeLessThan(1e-6);
        dev.lc = Math.max(dev.lc, lcD);
        dev.se = Math.max(dev.se, seD);
        dev.glmPreference = Math.max(dev.glmPreference, pD);
        dev.coefficients = Math.max(dev.coefficients, wD);
        const g = golden.glm.cv;
        if (g === null) {
          expect(r.cv).toBeNull();
          continue;
        }
        const cv = r.cv!;
        expect(cv.Cs).toEqual(g.Cs); // bit-equal to np.logspace(-4, 4, 10)
        expect(r.cIndex, model).toBe(g.C_index);
        expect(cv.seedsCv).toEqual(g.liblinear_seeds_cv);
        expect(cv.seedRefit).toBe(g.liblinear_seed_refit);
        expect(cv.foldSizesRows, model).toEqual(g.fold_sizes_rows);
        const fD = Math.max(...cv.foldScores.map((row, k) => maxAbs(row, g.fold_scores[k]!)));
        const mD = maxAbs(cv.meanScores, g.mean_scores);
        expect(fD, model).toBeLessThan(1e-6);
        expect(mD, model).toBeLessThan(1e-6);
        expect(Math.abs(cv.bestMinusSecond - g.best_minus_second_mean_score), model).toBeLessThan(1e-9);
        dev.foldScores = Math.max(dev.foldScores, fD);
        dev.meanScores = Math.max(dev.meanScores, mD);
      }
      console.log(`[glm goldens] chosen C equal for ${cMatches}/${cases.length} models; max |ours − golden|:`, dev);
    });

    it('returns 50 / 0 without fitting for the baseline against itself', (ctx) => {
      // Prepare
      const base = load(ctx).find((c) => c.model === BASELINE)!;
      // Act
      const r = lengthControlledWinRate({ annotations: base.annotations, gamed: base.gamed });
      // Assess
      expect(r).toMatchObject({ isBaseline: true, lengthControlledWinrate: 50, lcStandardError: 0, C: null, cIndex: null, cv: null });
      expect(r.coefficients).toEqual({ 'np.tanh(std_delta_len)': 0, instruction_difficulty: 0, 'not_gamed_baseline.astype(float)': 0 });
      expect(Array.from(r.glmPreference)).toEqual(base.golden.glm_preference);
      expect(r.extremeChange.warn).toBe(false);
    });

    it('matches the goldens under numpy\'s classic argsort fold order and under naive seeding', (ctx) => {
      // Prepare
      const cases = load(ctx).filter((c) => c.golden.sensitivity?.fold_mode_numpy_argsort);
      expect(cases.length).toBeGreaterThanOrEqual(14);
      let lcDev = 0;
      let coefDev = 0;
      for (const { model, golden, annotations, gamed } of cases) {
        // Act
        const classic = lengthControlledWinRate({ annotations, gamed }, { foldOrder: 'numpy-classic', sensitivity: false });
        const naive = lengthControlledWinRate({ annotations, gamed }, { cvSeeding: 'naive', sensitivity: false });
        // Assess
        const s = golden.sensitivity!;
        expect(classic.C, model).toBe(s.fold_mode_numpy_argsort!.C);
        expect(Math.abs(classic.lengthControlledWinrate - s.fold_mode_numpy_argsort!.length_controlled_winrate), model).toBeLessThan(1e-4);
        expect(coefDiff(classic.coefficients, s.fold_mode_numpy_argsort!.coefficients), model).toBeLessThan(1e-6);
        expect(naive.C, model).toBe(s.naive_liblinear_seeds!.C);
        expect(Math.abs(naive.lengthControlledWinrate - s.naive_liblinear_seeds!.length_controlled_winrate), model).toBeLessThan(1e-4);
        lcDev = Math.max(lcDev, Math.abs(classic.lengthControlledWinrate - s.fold_mode_numpy_argsort!.length_controlled_winrate));
        coefDev = Math.max(coefDev, coefDiff(classic.coefficients, s.fold_mode_numpy_argsort!.coefficients));
      }
      console.log(`[glm goldens, numpy-classic folds] ${cases.length} models, max |ΔLC| ${lcDev.toExponential(2)}, max |Δcoef| ${coefDev.toExponential(2)}`);
    });

    it('reports the LC at the neighbouring Cs, equal to the golden refits there', (ctx) => {
      // Prepare
      const { golden, annotations, gamed } = load(ctx).find((c) => c.model === 'alpaca-7b')!;
      // Act
      const r = lengthControlledWinRate({ annotations, gamed });
      // Assess
      const idx = r.cIndex!;
      expect(r.sensitivity.map((s) => s.cIndex)).toEqual([idx - 1, idx + 1]);
      for (const s of r.sensitivity) {
        const g = golden.glm.refit_by_C![s.cIndex]!;
        expect(s.C).toBe(g.C);
        expect(Math.abs(s.lengthControlledWinrate - g.length_controlled_winrate)).toBeLessThan(1e-9);
      }
    });
  });

  describe('refitLengthControlledAtC', () => {
    it('reproduces the all-rows refit coefficients and LC at every C of the grid for all golden models', (ctx) => {
      // Prepare
      const cases = load(ctx).filter((c) => !c.golden.glm.is_baseline);
      let coefDev = 0;
      let lcDev = 0;
      let n = 0;
      for (const { model, golden, annotations, gamed } of cases) {
        const prepared = prepareLengthControlled({ annotations, gamed });
        for (const g of golden.glm.refit_by_C!) {
          // Act
          const r = refitLengthControlledAtC(prepared, g.C);
          // Assess
          const cD = coefDiff(r.coefficients, g.coefficients);
          const lD = Math.abs(r.lengthControlledWinrate - g.length_controlled_winrate);
          expect(cD, `${model} C=${g.C}`).toBeLessThan(1e-6);
          expect(lD, `${model} C=${g.C}`).toBeLessThan(1e-4);
          coefDev = Math.max(coefDev, cD);
          lcDev = Math.max(lcDev, lD);
          n++;
        }
      }
      console.log(`[glm goldens, refit_by_C] ${n} refits, max |Δcoef| ${coefDev.toExponential(2)}, max |ΔLC| ${lcDev.toExponential(2)}`);
    });
  });
});
