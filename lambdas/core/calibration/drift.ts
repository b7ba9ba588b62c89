/**
 * Drift watch. At calibration time judge X's preferences on a small fixed sample (rows of one panel model's
 * outputs) are stored in calibration.json. A later run re-judges the same prompts (the judge cache makes an
 * unchanged judge free) and compares, row by row.
 *
 * Statistic: the paired differences d_i = now_i − then_i (preferences on the 1–2 scale, rows judged both times).
 * t = mean(d) / se with se = max(sd(d) / √n, SE_FLOOR). |t| > T_WARN (3.0) — a shift of the judge's average
 * preference larger than three standard errors of its row-to-row variation — is a warning. The floor keeps
 * a judge that answers identically except for tiny logprob jitter from producing huge t on a zero spread; it
 * is 0.005, i.e. a shift of 1.5 points of preference (0.015 on the 1–2 scale) on the sample is needed at least.
 * Also reported: the mean |d| and the share of rows that changed side.
 */
export const DRIFT_SAMPLE_SIZE = 40;
export const T_WARN = 3;
export const SE_FLOOR = 0.005;

export interface DriftSample {
  /** The panel model whose outputs are re-judged. */
  model: string;
  /** 0-based annotation row indices (reference order). */
  rows: number[];
  instructions: string[];
  /** The panel model's outputs of those rows: a later run re-judges them without downloading the panel. */
  outputs: string[];
  preferences: (number | null)[];
}

export interface DriftCheck {
  model: string;
  n: number;
  mean_shift: number;
  mean_abs_shift: number;
  side_changes: number;
  t: number;
  threshold: number;
  drift: boolean;
}

/** Evenly spaced row indices of a fixed sample (deterministic: the same every time for the same row count). */
export function driftSampleRows(nRows: number, size = DRIFT_SAMPLE_SIZE): number[] {
  const k = Math.min(size, nRows);
  return Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * nRows) / k));
}

export function checkDrift(sample: DriftSample, now: readonly (number | null)[]): DriftCheck {
  const d: number[] = [];
  let sideChanges = 0;
  sample.preferences.forEach((then, i) => {
    const x = now[i];
    if (then === null || x === null || x === undefined || Number.isNaN(then) || Number.isNaN(x)) return;
    d.push(x - then);
    if (then !== 1.5 && x !== 1.5 && (then > 1.5) !== (x > 1.5)) sideChanges++;
  });
  const n = d.length;
  const mean = n ? d.reduce((s, v) => s + v, 0) / n : 0;
  const sd = n > 1 ? Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const se = Math.max(n ? sd / Math.sqrt(n) : 0, SE_FLOOR);
  const t = mean / se;
  return {
    model: sample.model, n, mean_shift: mean, mean_abs_shift: n ? d.reduce((s, v) => s + Math.abs(v), 0) / n : 0,
    side_changes: sideChanges, t, threshold: T_WARN, drift: n > 0 && Math.abs(t) > T_WARN,
  };
}

export function driftWarning(c: DriftCheck): string {
  return `judge drift: on the ${c.n}-row drift sample (${c.model}) the judge's preferences moved by ${c.mean_shift.toFixed(3)} on average (t = ${c.t.toFixed(1)}, threshold ${c.threshold}; ${c.side_changes} rows changed side) since the calibration; the official-scale estimate may be off — recalibrate with aep calibrate`;
}
