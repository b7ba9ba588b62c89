/**
 * Featurisation of the length-controlled GLM (alpaca_eval `metrics/glm_winrate.py`, glm
 * `length_controlled_v1`; spec §5 steps 1–4). Pure: plain rows in, typed arrays out.
 *
 * Design (patsy formula `np.tanh(std_delta_len) + instruction_difficulty +
 * not_gamed_baseline.astype(float) - 1`): x = [tanh(std_delta_len), instruction_difficulty, not_gamed].
 */
import { codePointLength, pandasStd } from '../numeric.ts';
import type { GamedRow } from './gamed-table.ts';

export const FEATURE_NAMES = [
  'np.tanh(std_delta_len)',
  'instruction_difficulty',
  'not_gamed_baseline.astype(float)',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const N_FEATURES = 3;

/** The fields of an annotation row the LC metric reads. */
export interface LcAnnotationRow {
  output_1: string | null;
  output_2: string | null;
  /** 1 + P(model better) ∈ [1, 2]; 0 = legacy tie; null = failed annotation */
  preference: number | null;
  generator_1?: string | null;
  generator_2?: string | null;
}

/** The model's rows, in annotation order (`index` = row position). */
export interface ModelRows {
  n: number;
  /** len(output_1) − len(output_2) in code points (NaN when an output is null) */
  deltaLen: Float64Array;
  /** deltaLen / pandas std(deltaLen, ddof=1) */
  stdDeltaLen: Float64Array;
  /** preference − 1 after 0 → 1.5 (NaN stays NaN) */
  preference: Float64Array;
  /** instruction_difficulty looked up by row position in df_gamed (see difficultyByRowNumber) */
  difficulty: Float64Array;
}

/** The rows the GLM is fitted on (NaN preferences dropped): gamed rows first, then the model's rows. */
export interface TrainingSet {
  /** number of rows R (each becomes two samples) */
  nRows: number;
  /** number of the R rows that come from df_gamed */
  nGamed: number;
  /** R × 3 features, row-major */
  x: Float64Array;
  /** target probability p_r ∈ [0, 1] */
  p: Float64Array;
  /** base weight s_r: 1 for model rows, λ/2 for gamed rows */
  s: Float64Array;
  /** df_gamed row number of training rows 0..nGamed−1 */
  gamedRow: Int32Array;
  /** model row of training rows nGamed..R−1 */
  modelRow: Int32Array;
}

/** Python `float(x) − 1` after pandas `.replace({0: 1.5})`; null → NaN. */
export function lcPreference(x: number | null | undefined): number {
  const v = x === null || x === undefined ? NaN : x;
  return (v === 0 ? 1.5 : v) - 1;
}

/**
 * `df_gamed.drop_duplicates("index")["instruction_difficulty"]` looked up by label: the label is the CSV
 * row number (0-based), present only for the first row of each `index` value.
 */
export function difficultyByRowNumber(gamed: readonly GamedRow[]): Map<number, number> {
  const seen = new Set<number>();
  const out = new Map<number, number>();
  gamed.forEach((row, k) => {
    if (seen.has(row.index)) return;
    seen.add(row.index);
    out.set(k, row.instruction_difficulty);
  });
  return out;
}

export function featurizeModelRows(rows: readonly LcAnnotationRow[], gamed: readonly GamedRow[]): ModelRows {
  const n = rows.length;
  const deltaLen = new Float64Array(n);
  const preference = new Float64Array(n);
  const difficulty = new Float64Array(n);
  const table = difficultyByRowNumber(gamed);
  const finite: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const l1 = typeof r.output_1 === 'string' ? codePointLength(r.output_1) : NaN;
    const l2 = typeof r.output_2 === 'string' ? codePointLength(r.output_2) : NaN;
    deltaLen[i] = l1 - l2;
    if (deltaLen[i] === deltaLen[i]) finite.push(deltaLen[i]!);
    preference[i] = lcPreference(r.preference);
    const d = table.get(i);
    if (d === undefined) {
      throw new Error(
        `LC: no instruction_difficulty for model row ${i}: df_gamed has no first-of-its-index row number ${i} ` +
          `(${gamed.length} rows); the official lookup is by row position`,
      );
    }
    difficulty[i] = d;
  }
  const sd = pandasStd(finite); // pandas skips NaN
  const stdDeltaLen = new Float64Array(n);
  for (let i = 0; i < n; i++) stdDeltaLen[i] = deltaLen[i]! / sd;
  return { n, deltaLen, stdDeltaLen, preference, difficulty };
}

export function buildTrainingSet(model: ModelRows, gamed: readonly GamedRow[], regularizeToBaselineLambda = 0.2): TrainingSet {
  const gamedWeight = regularizeToBaselineLambda / 2;
  const keptGamed: number[] = [];
  gamed.forEach((g, k) => {
    if (g.preference === g.preference) keptGamed.push(k);
  });
  const keptModel: number[] = [];
  for (let i = 0; i < model.n; i++) if (model.preference[i] === model.preference[i]) keptModel.push(i);
  const R = keptGamed.length + keptModel.length;
  const x = new Float64Array(R * N_FEATURES);
  const p = new Float64Array(R);
  const s = new Float64Array(R);
  let r = 0;
  const put = (f0: number, f1: number, f2: number, pr: number, sr: number, what: string): void => {
    if (!(f0 === f0 && f1 === f1 && f2 === f2)) {
      throw new Error(`LC: training row ${what} has a missing feature (patsy would drop it and the fit would fail)`);
    }
    x[r * 3] = f0;
    x[r * 3 + 1] = f1;
    x[r * 3 + 2] = f2;
    p[r] = pr;
    s[r] = sr;
    r++;
  };
  for (const k of keptGamed) {
    const g = gamed[k]!;
    put(Math.tanh(g.std_delta_len), g.instruction_difficulty, g.not_gamed_baseline ? 1 : 0, g.preference, gamedWeight, `df_gamed[${k}]`);
  }
  for (const i of keptModel) {
    put(Math.tanh(model.stdDeltaLen[i]!), model.difficulty[i]!, 1, model.preference[i]!, 1, `model[${i}]`);
  }
  return { nRows: R, nGamed: keptGamed.length, x, p, s, gamedRow: Int32Array.from(keptGamed), modelRow: Int32Array.from(keptModel) };
}
