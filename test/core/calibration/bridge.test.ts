import { describe, expect, it } from 'vitest';
import { agreement } from '../../../lambdas/core/calibration/agreement.ts';
import { conformalHalfWidth, expitPct, fitMap, logitPct, looTable, predict, type PanelPoint } from '../../../lambdas/core/calibration/bridge.ts';
import { buildCalibration, officialScale, parseCalibration } from '../../../lambdas/core/calibration/document.ts';
import { checkDrift, driftSampleRows } from '../../../lambdas/core/calibration/drift.ts';

/** A small seeded generator (mulberry32) for reproducible synthetic panels. */
function seeded(seed: number): { uniform(): number } {
  let a = seed >>> 0;
  return {
    uniform() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Judge X's view of an official LC: a monotone squash in logit space, a length bias and noise. */
function distort(official: number, lengthBias: number, noise: number): number {
  return expitPct(0.3 + 0.7 * logitPct(official) + lengthBias + noise);
}

function panel(seed: number, n: number): PanelPoint[] {
  const rng = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    const official = 4 + (i * 50) / (n - 1) + rng.uniform() * 2;
    const judge = distort(official, 0.15 * (rng.uniform() - 0.5), 0.12 * (rng.uniform() - 0.5) * 2);
    return { name: `m${i}`, judge, official };
  });
}

describe('calibration bridge', () => {
  it('recovers an exact logit-linear map with zero leave-one-out error', () => {
    const pts = [5, 10, 20, 30, 40, 50].map((o, i) => ({ name: `m${i}`, official: o, judge: expitPct((logitPct(o) - 0.2) / 1.3) }));
    const map = fitMap(pts);
    expect(map.b).toBeCloseTo(1.3, 9);
    expect(map.a).toBeCloseTo(0.2, 9);
    for (const r of looTable(pts)) expect(Math.abs(r.loo_error)).toBeLessThan(1e-9);
  });

  it('brings held-out models of distorted panels back inside their own stated interval (≥ 85 % over 40 panels of 12)', () => {
    let covered = 0;
    let total = 0;
    for (let seed = 1; seed <= 40; seed++) {
      for (const r of looTable(panel(seed, 12))) {
        total++;
        if (r.covered) covered++;
      }
    }
    // nested-LOO conformal at 90 %: the coverage guarantee is ≥ 90 % in expectation; allow sampling slack
    expect(covered / total).toBeGreaterThanOrEqual(0.85);
    expect(covered).toBeLessThan(total); // the intervals are not vacuous
  });

  it('half-width: the ⌈level·(n+1)⌉-th smallest |residual|, unbounded when the panel is too small', () => {
    expect(conformalHalfWidth([0.1, 0.4, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 0.9)).toBe(1.0);
    expect(conformalHalfWidth([0.1, 0.2, 0.3], 0.9)).toBe(Infinity);
    expect(predict({ a: 0, b: 1, half_width_logit: null }, 30).interval).toEqual([0, 100]);
  });

  it('refuses a judge that orders the panel against the official board', () => {
    const pts = [5, 10, 20, 30].map((o, i) => ({ name: `m${i}`, official: o, judge: 60 - o }));
    expect(() => fitMap(pts)).toThrow(/do not increase/);
  });

  it('builds calibration.json from two boards (baseline excluded), reads it back and applies it', () => {
    const pts = panel(7, 11);
    const officialBoard = [{ name: 'gpt4_1106_preview', length_controlled_winrate: 50, win_rate: 50 }, ...pts.map((p) => ({ name: p.name, length_controlled_winrate: p.official, win_rate: p.official * 0.8 }))];
    const judgeBoard = [{ name: 'gpt4_1106_preview', length_controlled_winrate: 50, win_rate: 50 }, ...pts.map((p) => ({ name: p.name, length_controlled_winrate: p.judge, win_rate: p.judge * 0.8 })), { name: 'my-sft', length_controlled_winrate: 20, win_rate: 15 }];
    const doc = buildCalibration({
      judge: { preset: 'x', model: 'x-model', snapshot: null, scale: 'judge:x-model' }, judgeBoard, officialBoard,
      source: { kind: 'leaderboard', file: 'x.csv', sha256: 'aa' }, official: { file: 'o.csv', sha256: 'bb' }, now: new Date(0),
    });
    expect(doc.panel).toHaveLength(11);
    const mine = doc.models.find((m) => m.name === 'my-sft')!;
    expect(mine.official_lc).toBeUndefined();
    expect(mine.interval[0]).toBeLessThan(mine.predicted_lc);
    expect(mine.interval[1]).toBeGreaterThan(mine.predicted_lc);
    const back = parseCalibration(JSON.stringify(doc), 'cal.json');
    const block = officialScale(back, { length_controlled_winrate: 20, win_rate: 15 }, { path: 'cal.json', sha256: 'cc' });
    expect(block.length_controlled_winrate).toBeCloseTo(mine.predicted_lc, 12);
    expect(block.win_rate).toBeDefined();
    expect(() => parseCalibration(JSON.stringify({ ...doc, map: { lc: { ...doc.map.lc, b: -1 } } }), 'cal.json')).toThrow(/cal\.json.*map\.lc\.b/);
  });
});

describe('agreement and drift', () => {
  it('counts same-side rows without ties and correlates preferences', () => {
    const a = agreement('m', [1.9, 1.2, 1.5, 1.7, null], [1.8, 1.6, 1.9, 1.5, 1.1]);
    expect(a.n_compared).toBe(2);
    expect(a.n_same_side).toBe(1);
    expect(a.correlation).not.toBeNull();
  });

  it('an unchanged judge is no drift; a shifted one is', () => {
    const rows = driftSampleRows(805);
    expect(rows).toHaveLength(40);
    expect(new Set(rows).size).toBe(40);
    const rng = seeded(3);
    const then = rows.map(() => 1 + rng.uniform());
    const sample = { model: 'm', rows, instructions: rows.map(String), outputs: rows.map(String), preferences: then };
    expect(checkDrift(sample, then.map((p) => p + 1e-4)).drift).toBe(false);
    const noisy = then.map((p) => Math.min(2, Math.max(1, p + 0.1 * (rng.uniform() - 0.5))));
    expect(checkDrift(sample, noisy).drift).toBe(false);
    const shifted = then.map((p) => Math.min(2, p + 0.15));
    const c = checkDrift(sample, shifted);
    expect(c.drift).toBe(true);
    expect(c.t).toBeGreaterThan(3);
  });
});
