import { describe, expect, it } from 'vitest';
import { formatJudgeProgress, formatJudgeSummary, newJudgeTally, type JudgeSummary } from '../../../lambdas/services/judge/progress.ts';
import { newSchedulerStats } from '../../../lambdas/services/judge/scheduler.ts';

describe('progress', () => {
  describe('formatJudgeProgress', () => {
    it('shows rows done, cache, identical, in flight, retries, 429s, failures, tokens, dollars, time and eta', () => {
      // Prepare
      const t = {
        ...newJudgeTally(805), identical: 3, cached: 100, judged: 300, failed: 1, promptTokens: 240_000,
        completionTokens: 300, costUsd: 2.409, elapsedMs: 42_000, phase: 'real-time' as const,
        scheduler: { ...newSchedulerStats(), inFlight: 16, retries: 7, rateLimited: 2 },
      };
      // Act
      const line = formatJudgeProgress(t);
      // Assess: eta from the 301 rows this run settled in 42 s, for the 401 left
      expect(line).toBe('judge 404/805 rows (50%) · 100 cached · 3 identical · 16 in flight · 7 retries · 2×429 · 1 failed · '
        + '240k tok · $2.41 · 42s · eta 56s');
    });

    it('shows the batch status while a batch runs', () => {
      const t = { ...newJudgeTally(10), phase: 'batch' as const, batch: { id: 'b', status: 'in_progress', completed: 4, total: 10 } };
      expect(formatJudgeProgress(t)).toBe('judge 0/10 rows (0%) · 0 cached · 0 identical · batch in_progress 4/10 · 0 failed · 0 tok · $0.0000 · 0s');
    });
  });

  describe('formatJudgeSummary', () => {
    it('reports counts, tokens, cost, the match report, caveats and failed rows', () => {
      // Prepare
      const s: JudgeSummary = {
        annotator: 'custom:llama', judgeModel: 'llama', comparableToLeaderboard: false, mode: 'real-time', rows: 4,
        identical: 1, cached: 0, judged: 2, nan: 1, failed: 1, requests: 5, retries: 2, rateLimited: 1, promptTokens: 3000,
        completionTokens: 3, costUsd: null, wallTimeMs: 61_000, maxInstances: null, evalSetSha256: 'e', templateSha256: 't',
        officialTemplate: true,
        match: {
          nReference: 5, nModel: 5, nMatched: 4, missing: [{ evalIndex: 2, instruction: 'Name three   colours.' }],
          extra: [{ modelIndex: 4, instruction: 'x' }], duplicates: [],
        },
        failedRows: [{ index: 3, instruction: 'Explain RAID 5.', reason: 'HTTP 500: boom (gave up after 10 attempts)' }],
      };
      // Act
      const text = formatJudgeSummary(s);
      // Assess
      expect(text.split('\n')).toEqual([
        'judge: 4 rows · 2 judged (1 unparsable → NaN) · 0 cached · 1 identical · 1 failed · 1m01s',
        '  custom:llama (llama, real-time) · 5 requests, 2 retries, 1×429 · 3000 prompt + 3 completion tokens · cost unknown (no prices for this model)',
        '  model outputs: 5 records → 4 rows matched to 5 eval instructions',
        '  1 eval instruction(s) have no model output (not judged): #3 "Name three colours."',
        '  1 model record(s) match no eval instruction (ignored): records 5',
        '  note: this judge is not the leaderboard judge; numbers are not comparable to it',
        '  failed row 4 "Explain RAID 5.": HTTP 500: boom (gave up after 10 attempts)',
      ]);
    });
  });
});
