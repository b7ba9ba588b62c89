/**
 * Win-rate metrics exactly as alpaca_eval's `get_winrate` (AbsoluteScoringRule + ZeroOneScoringRule) computes
 * them with pandas: same filtering, same pairwise sums, same ddof=1 standard error.
 */
import { codePointLength, npMean, pandasSem } from './numeric.ts';

export interface WinRateMetrics {
  win_rate: number;
  standard_error: number;
  n_wins: number;
  n_wins_base: number;
  n_draws: number;
  n_total: number;
  discrete_win_rate: number;
}

/** Legacy tie code 0 → 1.5, as `preprocess_predictions` does. */
function normalise(p: number | null): number {
  if (p === null) return NaN;
  return p === 0 ? 1.5 : p;
}

/** numpy's round-half-to-even, the rounding pandas `Series.round()` applies. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Generalised (probabilistic) win rate: mean of preference − 1 over rows with 1 ≤ preference ≤ 2. */
function describeAbsolute(prefs: readonly (number | null)[]) {
  const kept: number[] = [];
  let nDraws = 0;
  for (const raw of prefs) {
    const x = normalise(raw);
    if (x === 1.5) nDraws++;
    if (x >= 1 && x <= 2) kept.push(x - 1);
  }
  const v = Float64Array.from(kept);
  let nWins = 0;
  let nWinsBase = 0;
  for (const x of v) {
    if (x > 0.5) nWins++;
    else if (x < 0.5) nWinsBase++;
  }
  return {
    win_rate: npMean(v) * 100,
    standard_error: pandasSem(v) * 100,
    n_wins: nWins,
    n_wins_base: nWinsBase,
    n_draws: nDraws,
    n_total: v.length,
  };
}

/** ZeroOneScoringRule: each preference rounded (1.5 exactly is a tie), tie = 0.5, model win = 1. */
function discreteWinRate(prefs: readonly (number | null)[]): number {
  const kept: number[] = [];
  for (const raw of prefs) {
    if (raw === null) continue;
    const tieCoded = raw === 1.5 ? 0 : raw;
    const rounded = roundHalfEven(tieCoded);
    const x = rounded === 0 ? 1.5 : rounded;
    if (x >= 1 && x <= 2) kept.push(x - 1);
  }
  return npMean(Float64Array.from(kept)) * 100;
}

/** The seven head-to-head metrics of `get_winrate`. */
export function winRateMetrics(prefs: readonly (number | null)[]): WinRateMetrics {
  return { ...describeAbsolute(prefs), discrete_win_rate: discreteWinRate(prefs) };
}

/**
 * `avg_length` as `main.evaluate` computes it: `int(mean(len(output)))` over the model outputs, lengths in
 * Unicode code points, null outputs skipped, truncated toward zero.
 */
export function averageLength(outputs: readonly (string | null | undefined)[]): number {
  const lens: number[] = [];
  for (const o of outputs) if (typeof o === 'string') lens.push(codePointLength(o));
  if (lens.length === 0) return 0;
  return Math.trunc(npMean(Float64Array.from(lens)));
}
