import { describe, expect, it } from 'vitest';
import { buildBridge, expit, fitMap, logit, predict, type PanelPoint } from '../../../lambdas/core/calibration/bridge.ts';
import { boardNumbers, buildCalibration } from '../../../lambdas/core/calibration/calibration.ts';
import { UsageError } from '../../../lambdas/core/errors.ts';
import { parseLeaderboard } from '../../../lambdas/core/report/leaderboard.ts';
import { needFixtures, readFixtureText } from '../../support/fixtures.ts';

const LEADERBOARD = 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv';

/** A deterministic normal draw per index (Box–Muller on a hash-free LCG). */
function noise(seed: number): (i: number) => number {
  return (i) => {
    let x = (seed * 2654435761 + i * 40503) >>> 0;
    const next = () => ((x = (1664525 * x + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    next();
    return Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  };
}

/** Judge X: the official LC squashed in log-odds, a length bias, and per-model noise. */
function judgeX(official: number, avgLength: number, eps: number): number {
  return expit(0.35 + 0.7 * logit(official) + 0.25 * (avgLength - 1800) / 1000 + 0.12 * eps);
}

/** ~12 panel models spanning LC 5–50 from the official board, with their average lengths. */
function panel(): { name: string; lc: number; wr: number; len: number }[] {
  const board = parseLeaderboard(readFixtureText(LEADERBOARD), LEADERBOARD);
  const rows = board.rows.map((r) => ({ name: r.name, lc: Number(r.cells.length_controlled_winrate), wr: Number(r.cells.win_rate), len: Number(r.cells.avg_length) }))
    .filter((r) => r.name !== 'gpt4_1106_preview' && r.lc >= 5 && r.lc <= 50);
  rows.sort((a, b) => a.lc - b.lc);
  const step = (rows.length - 1) / 11;
  return Array.from({ length: 12 }, (_, i) => rows[Math.round(i * step)]!);
}

describe('calibration bridge', () => {
  it('recovers an exact monotone squash: slope and intercept invert it, held-out errors vanish', () => {
    const points: PanelPoint[] = [5, 10, 15, 22, 30, 38, 45, 50].map((off, i) => ({ name: `m${i}`, official: off, judge: expit(0.35 + 0.7 * logit(off)) }));
    const map = fitMap(points);
    expect(map.slope).toBeCloseTo(1 / 0.7, 10);
    expect(map.intercept).toBeCloseTo(-0.35 / 0.7, 10);
    expect(map.looRmsLogit).toBeLessThan(1e-9);
    expect(predict(map, expit(0.35 + 0.7 * logit(27))).predicted).toBeCloseTo(27, 8);
  });

  it('brings held-out panel models back to their official LC within the stated intervals under noise and a length bias', (ctx) => {
    needFixtures(ctx, LEADERBOARD);
    const models = panel();
    let inside = 0;
    let total = 0;
    let widthSum = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const eps = noise(seed);
      const points = models.map((m, i) => ({ name: m.name, official: m.lc, judge: judgeX(m.lc, m.len, eps(i)) }));
      const bridge = buildBridge(points);
      for (const r of bridge.loo) {
        total++;
        widthSum += r.loo_interval[1] - r.loo_interval[0];
        if (r.official >= r.loo_interval[0] && r.official <= r.loo_interval[1]) inside++;
      }
    }
    // 240 held-out predictions: a 95 % interval should hold about 95 % of them (not 100 %: then it is too wide)
    expect(inside / total).toBeGreaterThanOrEqual(0.88);
    expect(inside / total).toBeLessThan(1);
    expect(widthSum / total).toBeLessThan(20); // informative, not a blanket 0–100
  });

  it('refuses fewer than five panel models and a judge that does not rise with the official scale', () => {
    const few = [10, 20, 30, 40].map((v, i) => ({ name: `m${i}`, official: v, judge: v }));
    expect(() => buildBridge(few)).toThrow(UsageError);
    const falling = [10, 20, 30, 40, 50].map((v, i) => ({ name: `m${i}`, official: v, judge: 60 - v }));
    expect(() => buildBridge(falling)).toThrow(/no monotone map/);
  });

  it('builds a calibration document: every model of the judge board predicted, panel models also held out', (ctx) => {
    needFixtures(ctx, LEADERBOARD);
    const official = boardNumbers(parseLeaderboard(readFixtureText(LEADERBOARD), LEADERBOARD), LEADERBOARD);
    const eps = noise(7);
    const judgeNumbers = new Map(panel().map((m, i) => [m.name, { lc: judgeX(m.lc, m.len, eps(i)), wr: expit(0.2 + 0.8 * logit(m.wr)) }]));
    judgeNumbers.set('gpt4_1106_preview', { lc: 50, wr: 50 });
    judgeNumbers.set('my-sft', { lc: 12, wr: 6 });
    const doc = buildCalibration({
      judge: { name: 'gpt5_nano', model: 'gpt-5-nano', snapshot: null }, judgeNumbers, official, baseline: 'gpt4_1106_preview',
      source: { kind: 'leaderboard', official_leaderboard: { source: LEADERBOARD, sha256: 'x' } }, now: new Date('2026-12-04T00:00:00Z'),
    });
    expect(doc.models.map((m) => m.name)).not.toContain('gpt4_1106_preview');
    const mine = doc.models.find((m) => m.name === 'my-sft')!;
    expect(mine.official_lc).toBeUndefined();
    expect(mine.interval[0]).toBeLessThan(mine.predicted_lc);
    expect(mine.interval[1]).toBeGreaterThan(mine.predicted_lc);
    expect(doc.models.filter((m) => m.loo_interval)).toHaveLength(12);
    expect(doc.lc.map.n).toBe(12);
    expect(doc.win_rate?.map.slope).toBeCloseTo(1 / 0.8, 6);
  });
});
