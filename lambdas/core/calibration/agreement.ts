/**
 * Row-level agreement of judge X with the official judge on one model's outputs: the share of rows where both
 * prefer the same side (rows where either gave a tie, 1.5, or no preference are excluded), and the Pearson
 * correlation of the two preferences (1–2 scale) over the rows both judged.
 */
export interface AgreementRow {
  name: string;
  n_compared: number;
  n_same_side: number;
  same_side: number | null;
  correlation: number | null;
}

export function agreement(name: string, judge: readonly (number | null)[], official: readonly (number | null)[]): AgreementRow {
  if (judge.length !== official.length) throw new Error(`agreement of ${name}: ${judge.length} rows vs ${official.length}`);
  let compared = 0;
  let same = 0;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < judge.length; i++) {
    const x = judge[i];
    const y = official[i];
    if (x === null || x === undefined || y === null || y === undefined || Number.isNaN(x) || Number.isNaN(y)) continue;
    xs.push(x);
    ys.push(y);
    if (x === 1.5 || y === 1.5) continue;
    compared++;
    if ((x > 1.5) === (y > 1.5)) same++;
  }
  return { name, n_compared: compared, n_same_side: same, same_side: compared ? same / compared : null, correlation: pearson(xs, ys) };
}

export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}
