/**
 * The bridge from a judge's scale to the official AlpacaEval 2.0 scale (pure).
 *
 * Model: logit(official / 100) = a + b · logit(judge / 100), fitted by least squares over the panel (models with
 * both numbers), with b > 0 required: a monotone map that stays inside (0, 100) and is linear where judges differ by
 * a shift and a stretch of their log-odds. With ~10–13 panel models, two parameters is what the data can carry.
 *
 * Honesty comes from held-out models, not from the fit's own residuals. Leave-one-model-out: each panel model is
 * predicted by the map fitted without it; the root mean square of those held-out errors in log-odds, `s`, is the
 * prediction error of a new model. A 95 % prediction interval is `logit⁻¹(pred ± t(0.975, n − 1) · s)`. A panel
 * model's own held-out interval (`loo_interval`) uses the map and the `s` computed without it (nested leave-one-out),
 * so the check "do held-out models fall inside their intervals" is out of sample. The interval covers the judge
 * disagreement between models (what the map cannot explain) and the sampling noise of one model's numbers, which
 * the panel's errors contain.
 */
import { UsageError } from '../errors.ts';
import { studentTQuantile } from '../report/special-functions.ts';

/** One panel model: its numbers on the judge's scale and on the official one (percentages). */
export interface PanelPoint {
  name: string;
  judge: number;
  official: number;
}

export interface LogitLinearMap {
  /** logit(official) = intercept + slope · logit(judge) */
  intercept: number;
  slope: number;
  /** RMS held-out (leave-one-model-out) error in log-odds; NaN with fewer than 3 points. */
  looRmsLogit: number;
  /** Student t quantile used for 95 % intervals (t(0.975, n − 1)). */
  t95: number;
  n: number;
}

export interface LooRow {
  name: string;
  judge: number;
  official: number;
  /** prediction from the map fitted without this model */
  loo_predicted: number;
  /** 95 % interval from the map and error scale fitted without this model */
  loo_interval: [number, number];
  /** official − loo_predicted, points */
  loo_error: number;
}

export interface Bridge {
  map: LogitLinearMap;
  loo: LooRow[];
  /** share of panel models whose official value lies in their held-out interval */
  looCoverage: number;
  /** mean |loo_error| in points */
  looMae: number;
}

/** Minimum panel size: fewer points cannot both fit two parameters and estimate a held-out error. */
export const MIN_PANEL = 4;

const EPS = 1e-6;

export function logit(pct: number): number {
  const p = Math.min(1 - EPS, Math.max(EPS, pct / 100));
  return Math.log(p / (1 - p));
}

export function expit(x: number): number {
  return 100 / (1 + Math.exp(-x));
}

function ols(xs: readonly number[], ys: readonly number[]): { intercept: number; slope: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) throw new UsageError('the panel models all have the same judge value: no map can be fitted');
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

function fitLine(points: readonly PanelPoint[]): { intercept: number; slope: number } {
  const line = ols(points.map((p) => logit(p.judge)), points.map((p) => logit(p.official)));
  if (!(line.slope > 0)) {
    throw new UsageError(`the judge's numbers do not rise with the official ones over the panel (${points.map((p) => p.name).join(', ')}): no monotone map`);
  }
  return line;
}

function looErrors(points: readonly PanelPoint[]): number[] {
  return points.map((p, i) => {
    const rest = points.filter((_, j) => j !== i);
    const line = fitLine(rest);
    return logit(p.official) - (line.intercept + line.slope * logit(p.judge));
  });
}

function rms(xs: readonly number[]): number {
  return Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
}

/** Fits the map with its held-out error scale. */
export function fitMap(points: readonly PanelPoint[]): LogitLinearMap {
  if (points.length < MIN_PANEL) {
    throw new UsageError(`a calibration needs at least ${MIN_PANEL} panel models on both scales, got ${points.length}`);
  }
  const line = fitLine(points);
  const looRmsLogit = rms(looErrors(points));
  return { ...line, looRmsLogit, t95: studentTQuantile(0.975, points.length - 1), n: points.length };
}

/** The official-scale estimate of a judge value, with its 95 % prediction interval. */
export function predict(map: LogitLinearMap, judge: number): { predicted: number; interval: [number, number] } {
  const z = map.intercept + map.slope * logit(judge);
  const h = map.t95 * map.looRmsLogit;
  return { predicted: expit(z), interval: [expit(z - h), expit(z + h)] };
}

/** The map, and every panel model predicted out of sample. */
export function buildBridge(points: readonly PanelPoint[]): Bridge {
  if (points.length < MIN_PANEL + 1) {
    throw new UsageError(`a calibration needs at least ${MIN_PANEL + 1} panel models on both scales (each is held out in turn), got ${points.length}`);
  }
  const map = fitMap(points);
  const loo: LooRow[] = points.map((p, i) => {
    const without = fitMap(points.filter((_, j) => j !== i));
    const { predicted, interval } = predict(without, p.judge);
    return { name: p.name, judge: p.judge, official: p.official, loo_predicted: predicted, loo_interval: interval, loo_error: p.official - predicted };
  });
  const inside = loo.filter((r) => r.official >= r.loo_interval[0] && r.official <= r.loo_interval[1]).length;
  return { map, loo, looCoverage: inside / loo.length, looMae: loo.reduce((a, r) => a + Math.abs(r.loo_error), 0) / loo.length };
}
