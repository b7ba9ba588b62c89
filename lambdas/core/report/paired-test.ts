/**
 * Is the change between two runs real? Both runs judged the same instructions against the same reference, so the
 * per-instruction preferences are paired. Two tests on the differences d_i = (pref_b − pref_a) × 100 (win-rate
 * points; a legacy tie code 0 counts as 1.5, a failed judgement drops the pair):
 *
 * - the paired t-test (primary): t = mean(d) / (sd(d) / √n), n − 1 degrees of freedom, two-sided p, and the 95 %
 *   confidence interval of the mean difference, mean ± t₀.₉₇₅ · sd / √n;
 * - the exact two-sided sign test (robustness check, no normality assumption): among the pairs that differ, the
 *   count where b is better ~ Binomial(m, ½); p = min(1, 2 · P(X ≤ min(better, worse))).
 */
import { binomialHalfCdf, studentTQuantile, studentTTwoSided } from './special-functions.ts';

export interface PairedTTest {
  n: number;
  /** Mean of the differences (win-rate points). */
  mean: number;
  standardError: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
  ci95: [number, number];
}

export interface SignTest {
  better: number;
  worse: number;
  equal: number;
  /** Exact two-sided p-value. */
  p: number;
}

export interface PairedComparison {
  /** Instructions judged in both runs. */
  shared: number;
  tTest: PairedTTest;
  signTest: SignTest;
}

/** The paired t-test of a sample of differences. Fewer than two values give NaN statistics. */
export function pairedTTest(diffs: readonly number[]): PairedTTest {
  const n = diffs.length;
  const mean = n > 0 ? diffs.reduce((s, x) => s + x, 0) / n : NaN;
  if (n < 2) return { n, mean, standardError: NaN, t: NaN, df: Math.max(0, n - 1), p: NaN, ci95: [NaN, NaN] };
  const ss = diffs.reduce((s, x) => s + (x - mean) ** 2, 0);
  const sd = Math.sqrt(ss / (n - 1));
  const se = sd / Math.sqrt(n);
  const df = n - 1;
  if (se === 0) {
    // every difference equal: no spread, so either no change at all or a certain one
    return { n, mean, standardError: 0, t: mean === 0 ? 0 : Math.sign(mean) * Infinity, df, p: mean === 0 ? 1 : 0, ci95: [mean, mean] };
  }
  const t = mean / se;
  const q = studentTQuantile(0.975, df);
  return { n, mean, standardError: se, t, df, p: studentTTwoSided(t, df), ci95: [mean - q * se, mean + q * se] };
}

/** The exact two-sided sign test (zero differences are set aside). */
export function signTest(diffs: readonly number[]): SignTest {
  let better = 0;
  let worse = 0;
  let equal = 0;
  for (const d of diffs) {
    if (d > 0) better++;
    else if (d < 0) worse++;
    else equal++;
  }
  const m = better + worse;
  const p = m === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(better, worse), m));
  return { better, worse, equal, p };
}

function normalise(p: number | null | undefined): number | null {
  if (p === null || p === undefined || Number.isNaN(p)) return null;
  return p === 0 ? 1.5 : p;
}

/**
 * Compares run b with run a over the instructions both judged (keyed by instruction text; an instruction that
 * occurs several times is compared occurrence by occurrence).
 */
export function comparePairedRuns(
  a: readonly { instruction: string; preference: number | null }[],
  b: readonly { instruction: string; preference: number | null }[],
): PairedComparison {
  const byInstruction = new Map<string, (number | null)[]>();
  for (const r of a) {
    const list = byInstruction.get(r.instruction) ?? [];
    list.push(normalise(r.preference));
    byInstruction.set(r.instruction, list);
  }
  const diffs: number[] = [];
  for (const r of b) {
    const list = byInstruction.get(r.instruction);
    if (!list || list.length === 0) continue;
    const pa = list.shift()!;
    const pb = normalise(r.preference);
    if (pa !== null && pb !== null) diffs.push((pb - pa) * 100);
  }
  return { shared: diffs.length, tTest: pairedTTest(diffs), signTest: signTest(diffs) };
}
