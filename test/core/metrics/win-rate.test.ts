import { describe, expect, it } from 'vitest';
import { averageLength, winRateMetrics } from '../../../lambdas/core/metrics/win-rate.ts';
import { goldenModels, needFixtures, readFixtureJson } from '../../support/fixtures.ts';

interface Golden { metrics: Record<string, number> }
interface Row { preference: number | null; output_2: string }

const WIN_RATE_FLOATS = ['win_rate', 'standard_error', 'discrete_win_rate'] as const;
const COUNTS = ['n_wins', 'n_wins_base', 'n_draws', 'n_total'] as const;

describe('win-rate', () => {
  describe('winRateMetrics on the golden models', () => {
    for (const model of goldenModels()) {
      it(`reproduces ${model}`, (ctx) => {
        // Prepare
        needFixtures(ctx, `annotations/${model}.annotations.json.gz`, `golden/${model}.json`);
        const rows = readFixtureJson<Row[]>(`annotations/${model}.annotations.json.gz`);
        const golden = readFixtureJson<Golden>(`golden/${model}.json`).metrics;
        // Act
        const m = winRateMetrics(rows.map((r) => r.preference));
        // Assess: counts exact, floats within 1e-12 relative (they are in fact bit-identical)
        for (const k of COUNTS) expect(m[k], k).toBe(golden[k]);
        for (const k of WIN_RATE_FLOATS) {
          expect(Math.abs(m[k] - golden[k]!), k).toBeLessThanOrEqual(1e-12 * Math.abs(golden[k]!));
        }
      });
    }
  });

  describe('averageLength on the golden models', () => {
    for (const model of goldenModels()) {
      it(`equals the golden avg_length of ${model}`, (ctx) => {
        needFixtures(ctx, `outputs/${model}.model_outputs.json.gz`, `golden/${model}.json`);
        const outputs = readFixtureJson<{ output: string }[]>(`outputs/${model}.model_outputs.json.gz`);
        const golden = readFixtureJson<Golden>(`golden/${model}.json`).metrics;
        expect(averageLength(outputs.map((o) => o.output))).toBe(golden.avg_length);
      });
    }
  });

  describe('winRateMetrics', () => {
    it('maps the legacy tie code 0 to 1.5 and counts it as a draw', () => {
      const m = winRateMetrics([0, 1.5, 2, 1]);
      expect(m).toMatchObject({ n_draws: 2, n_wins: 1, n_wins_base: 1, n_total: 4, win_rate: 50, discrete_win_rate: 50 });
    });

    it('drops null preferences from every count', () => {
      const m = winRateMetrics([null, 2, 2, 1]);
      expect(m.n_total).toBe(3);
      expect(m.win_rate).toBeCloseTo(200 / 3, 12);
    });

    it('rounds each preference for the discrete win rate but keeps exact 1.5 a tie', () => {
      // 1.6 → model win, 1.4 → base win, 1.5 → tie
      const m = winRateMetrics([1.6, 1.4, 1.5]);
      expect(m.discrete_win_rate).toBeCloseTo(50, 12);
      expect(m.win_rate).toBeCloseTo(50, 12);
      expect(m.n_draws).toBe(1);
    });

    it('computes the standard error with ddof = 1', () => {
      const m = winRateMetrics([1, 2]);
      // values 0 and 1: sample sd = sqrt(0.5), sem = 0.5
      expect(m.standard_error).toBeCloseTo(50, 12);
    });
  });

  describe('averageLength', () => {
    it('counts Unicode code points, not UTF-16 units, and truncates', () => {
      expect(averageLength(['😀😀', 'abc'])).toBe(2); // (2 + 3) / 2 = 2.5 → 2
    });

    it('skips null outputs and counts empty strings as 0', () => {
      expect(averageLength([null, '', 'abcd'])).toBe(2);
    });
  });
});
