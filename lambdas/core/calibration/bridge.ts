/**
 * The bridge from judge X's scale to the official AlpacaEval 2.0 scale (the gpt-4-1106-preview leaderboard).
 *
 * Map: a monotone (increasing) straight line in logit space, logit(official/100) = a + b · logit(judge/100), fitted
 * by least squares on the panel models that both boards share. Why this and not isotonic regression: with 10–13
 * points an isotonic fit is a staircase that interpolates noise, predicts flat steps and cannot extrapolate; two
 * parameters on the logit scale keep predictions inside (0, 100), bend where win rates saturate, and leave enough
 * degrees of freedom for honest leave-one-out errors. A fitted slope ≤ 0 means judge X orders the panel against the
 * official board; that is refused, never "fixed".
 *
 * Interval: leave-one-model-out (LOO) residuals in logit space. With n LOO residuals r_i, the half-width is the
 * k-th smallest |r_i| with k = ⌈level · (n + 1)⌉ (the split-conformal small-sample correction: a new model,
 * exchangeable with the panel, falls inside with probability ≥ level). When k > n the panel is too small for that
 * level and the interval is the whole 0–100 range. A panel model's own LOO interval uses only the other n − 1
 * models' LOO residuals (nested leave-one-out), so the table tests the interval on models it never saw.
 */
import { InputError } from '../errors.ts';

export const DEFAULT_LEVEL = 0.9;
const EPS = 0.5; // percent: values are clamped to [0.5, 99.5] before the logit

export function logitPct(p: number): number {
  const q = Math.min(100 - EPS, Math.max(EPS, p)) / 100;
  return Math.log(q / (1 - q));
}

export function expitPct(z: number): number {
  return 100 / (1 + Math.exp(-z));
}

export interface PanelPoint {
  name: string;
  /** Judge X's value (percent). */
  judge: number;
  /** The official board's value (percent). */
  official: number;
}

export interface LineFit {
  a: number;
  b: number;
}

/** Least squares of logit(official) on logit(judge); throws when the slope is not positive. */
export function fitLine(points: readonly PanelPoint[], what = 'panel'): LineFit {
  if (points.length < 3) throw new InputError({ file: what }, `a calibration needs at least 3 models on both boards, found ${points.length}`);
  const xs = points.map((p) => logitPct(p.judge));
  const ys = points.map((p) => logitPct(p.official));
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  if (!(b > 0)) {
    throw new InputError({ file: what }, `judge X's values do not increase with the official ones over ${points.map((p) => p.name).join(', ')} (fitted slope ${b.toFixed(3)}); no monotone map exists`);
  }
  return { a: my - b * mx, b };
}

export function applyLine(fit: LineFit, judge: number): number {
  return expitPct(fit.a + fit.b * logitPct(judge));
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** The conformal half-width (logit units) from absolute LOO residuals; Infinity when too few for the level. */
export function conformalHalfWidth(absResiduals: readonly number[], level: number): number {
  const sorted = [...absResiduals].sort((x, y) => x - y);
  const k = Math.ceil(level * (sorted.length + 1));
  return k > sorted.length || k < 1 ? Infinity : sorted[k - 1]!;
}

/** Leave-one-out residuals (logit units, official − predicted) of a line fit. */
export function looResiduals(points: readonly PanelPoint[]): number[] {
  return points.map((p, i) => {
    const fit = fitLine(points.filter((_, j) => j !== i), `panel without ${p.name}`);
    return logitPct(p.official) - (fit.a + fit.b * logitPct(p.judge));
  });
}

export interface MonotoneMap extends LineFit {
  method: 'logit-linear-ols';
  n: number;
  level: number;
  /** Interval half-width in logit units (null = unbounded: panel too small for the level). */
  half_width_logit: number | null;
  /** |LOO residual| of each panel model in logit units, in panel order. */
  loo_abs_residuals_logit: number[];
}

export interface Prediction {
  predicted: number;
  interval: [number, number];
}

export function predict(map: Pick<MonotoneMap, 'a' | 'b' | 'half_width_logit'>, judge: number): Prediction {
  const z = map.a + map.b * logitPct(judge);
  const h = map.half_width_logit;
  return { predicted: expitPct(z), interval: h === null ? [0, 100] : [expitPct(z - h), expitPct(z + h)] };
}

export function fitMap(points: readonly PanelPoint[], level = DEFAULT_LEVEL): MonotoneMap {
  const fit = fitLine(points);
  const abs = looResiduals(points).map(Math.abs);
  const h = conformalHalfWidth(abs, level);
  return { method: 'logit-linear-ols', ...fit, n: points.length, level, half_width_logit: Number.isFinite(h) ? h : null, loo_abs_residuals_logit: abs };
}

export interface LooRow {
  name: string;
  judge: number;
  official: number;
  loo_predicted: number;
  loo_error: number;
  loo_interval: [number, number];
  covered: boolean;
}

/** Each panel model predicted by the map fitted without it, with the nested-LOO interval. */
export function looTable(points: readonly PanelPoint[], level = DEFAULT_LEVEL): LooRow[] {
  return points.map((p, i) => {
    const rest = points.filter((_, j) => j !== i);
    const fit = fitLine(rest, `panel without ${p.name}`);
    const h = rest.length >= 3 + 1 ? conformalHalfWidth(looResiduals(rest).map(Math.abs), level) : Infinity;
    const pred = predict({ ...fit, half_width_logit: Number.isFinite(h) ? h : null }, p.judge);
    return {
      name: p.name, judge: p.judge, official: p.official, loo_predicted: pred.predicted,
      loo_error: pred.predicted - p.official, loo_interval: pred.interval,
      covered: p.official >= pred.interval[0] && p.official <= pred.interval[1],
    };
  });
}
