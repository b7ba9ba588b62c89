import { describe, expect, it } from 'vitest';
import { percentile, summariseRun, type RowStats } from '../../../lambdas/core/generation/stats.ts';

const row = (completionTokens: number | null, latencyMs: number, finishReason: string | null = 'stop'): RowStats =>
  ({ completionTokens, promptTokens: 10, latencyMs, finishReason });

describe('stats', () => {
  describe('percentile', () => {
    it('interpolates linearly like numpy', () => {
      expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
      expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12);
      expect(percentile([1, 2, 3, 4], 99)).toBeCloseTo(3.97, 12);
      expect(percentile([5], 99)).toBe(5);
    });
  });

  describe('summariseRun', () => {
    it('counts all rows, but measures throughput on this invocation only', () => {
      const s = summariseRun({ resumed: [row(100, 4000, 'length')], generated: [row(50, 1000), row(null, 2000), row(30, 3000, 'length')], wallTimeMs: 2000 });
      expect(s).toEqual({
        rows: 4, rowsGenerated: 3, rowsResumed: 1, tokensGenerated: 180, promptTokens: 40, rowsWithoutUsage: 1,
        tokensPerSecond: 40, latencyMs: { p50: 2500, p90: 3700, p99: 3970 }, rowsAtTokenLimit: 2, wallTimeMs: 2000,
      });
    });

    it('has no throughput or latency without rows', () => {
      expect(summariseRun({ resumed: [], generated: [], wallTimeMs: 10 })).toMatchObject({ tokensPerSecond: null, latencyMs: null });
    });
  });
});

