/**
 * Descriptive statistics of one run for the report: win rate by group (source dataset, length-difference bucket,
 * instruction category) with the official formula and standard error, output length distributions (Unicode code
 * points, as `avg_length`), and the preference histogram. Pure functions of the annotation rows.
 */
import { npMean } from '../metrics/numeric.ts';
import { winRateMetrics } from '../metrics/win-rate.ts';

/** The five AlpacaEval source datasets, in the order the report shows them. */
export const DATASETS = ['helpful_base', 'koala', 'oasst', 'selfinstruct', 'vicuna'] as const;

export interface GroupStat {
  key: string;
  label: string;
  /** Rows in the group (failed judgements included). */
  n: number;
  /** Official win rate of the group (mean of preference − 1, × 100) and its standard error (ddof 1). */
  winRate: number;
  standardError: number;
  /** Mean of the LC GLM's per-row predictions × 100 (the group's length-controlled win rate), when known. */
  lcWinRate: number | null;
}

/** Win-rate statistics of the rows `indices`. */
export function groupStat(key: string, label: string, indices: readonly number[], prefs: readonly (number | null)[], glm?: readonly number[]): GroupStat {
  const wr = winRateMetrics(indices.map((i) => prefs[i] ?? null));
  const lc = glm && indices.length > 0 ? npMean(Float64Array.from(indices, (i) => glm[i]!)) * 100 : null;
  return { key, label, n: indices.length, winRate: wr.win_rate, standardError: wr.standard_error, lcWinRate: lc };
}

/** Win rate per source dataset: the five official ones first, then any other (sorted), `unknown` for none. */
export function perDataset(datasets: readonly (string | undefined)[], prefs: readonly (number | null)[], glm?: readonly number[]): GroupStat[] {
  const groups = new Map<string, number[]>();
  datasets.forEach((d, i) => {
    const k = d ?? 'unknown';
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  const known: readonly string[] = DATASETS;
  const keys = [...groups.keys()].sort((a, b) => {
    const ia = known.indexOf(a);
    const ib = known.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return keys.map((k) => groupStat(k, k, groups.get(k)!, prefs, glm));
}

/** The smallest 1, 2 or 5 × 10^k that is ≥ x (x > 0). */
export function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export interface LengthSummary {
  mean: number;
  median: number;
  p90: number;
  max: number;
}

export interface LengthDistributions {
  /** Bin edges; bin i is [edges[i], edges[i+1]); the last bin is open-ended (≥ its lower edge). */
  edges: number[];
  model: number[];
  reference: number[];
  summary: { model: LengthSummary; reference: LengthSummary };
}

/** The q-quantile by linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summary(lens: readonly number[]): LengthSummary {
  const s = [...lens].sort((a, b) => a - b);
  return { mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN, median: quantile(s, 0.5), p90: quantile(s, 0.9), max: s.at(-1) ?? NaN };
}

function binIndex(x: number, edges: readonly number[]): number {
  let i = 0;
  while (i + 1 < edges.length && x >= edges[i + 1]!) i++;
  return i;
}

/** Histograms of model and reference lengths on shared bins: 20 equal bins up to the 98th percentile, then "more". */
export function lengthDistributions(modelLens: readonly number[], refLens: readonly number[], bins = 20): LengthDistributions {
  const all = [...modelLens, ...refLens].sort((a, b) => a - b);
  const step = niceStep(quantile(all, 0.98) / bins);
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step);
  const count = (lens: readonly number[]) => {
    const c = new Array<number>(edges.length).fill(0);
    for (const x of lens) c[binIndex(x, edges)]!++;
    return c;
  };
  return { edges, model: count(modelLens), reference: count(refLens), summary: { model: summary(modelLens), reference: summary(refLens) } };
}

export interface PreferenceHistogram {
  /** Ten bins of width 0.1 over [1, 2]; the last includes 2. */
  edges: number[];
  counts: number[];
  /** Exact ties (1.5, or the legacy code 0). */
  ties: number;
  /** Rows without a judgement. */
  failed: number;
}

export function preferenceHistogram(prefs: readonly (number | null)[]): PreferenceHistogram {
  const edges = Array.from({ length: 11 }, (_, i) => Math.round((1 + i / 10) * 10) / 10);
  const counts = new Array<number>(10).fill(0);
  let ties = 0;
  let failed = 0;
  for (const raw of prefs) {
    if (raw === null || Number.isNaN(raw)) {
      failed++;
      continue;
    }
    const p = raw === 0 ? 1.5 : raw;
    if (p === 1.5) ties++;
    counts[Math.min(9, Math.floor((p - 1) * 10 + 1e-9))]!++;
  }
  return { edges, counts, ties, failed };
}

/** Edges of the length-difference buckets (model − reference, code points). */
export const LENGTH_DIFF_EDGES = [-1500, -1000, -500, -250, 0, 250, 500, 1000] as const;

function bucketLabel(i: number): string {
  const e = LENGTH_DIFF_EDGES;
  if (i === 0) return `< ${e[0]}`;
  if (i === e.length) return `≥ ${e[e.length - 1]}`;
  return `${e[i - 1]} to ${e[i]}`;
}

/** Win rate by how much longer (or shorter) the model's output is than the reference's; empty buckets are kept. */
export function lengthDifferenceBuckets(modelLens: readonly number[], refLens: readonly number[], prefs: readonly (number | null)[]): GroupStat[] {
  const groups: number[][] = Array.from({ length: LENGTH_DIFF_EDGES.length + 1 }, () => []);
  modelLens.forEach((m, i) => {
    const d = m - refLens[i]!;
    let b = 0;
    while (b < LENGTH_DIFF_EDGES.length && d >= LENGTH_DIFF_EDGES[b]!) b++;
    groups[b]!.push(i);
  });
  return groups.map((idx, i) => groupStat(`b${i}`, bucketLabel(i), idx, prefs));
}
