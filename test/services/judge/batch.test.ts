import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unswitchPreference } from '../../../lambdas/core/judge/order-randomisation.ts';
import { JudgeBatchError } from '../../../lambdas/services/judge/errors.ts';
import { fakeJudgeOrderPreference, startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai.ts';
import { needFixtures } from '../../support/fixtures.ts';
import {
  ALPACA_7B_OUTPUTS, LEADERBOARD_JUDGE, REFERENCE, TEMPLATE, judgedTwice, runJudge, workspace, type Workspace,
} from './judge-harness.ts';

const FIXTURES = [REFERENCE, TEMPLATE, ALPACA_7B_OUTPUTS];

let fake: FakeOpenAI;
let ws: Workspace;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  ws = await workspace();
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

function uploadedLines(): { custom_id: string; method: string; url: string; body: Record<string, any> }[] {
  const input = [...fake.batches.files.values()].filter((f) => f.purpose === 'batch');
  expect(input).toHaveLength(1);
  return input[0]!.text.trim().split('\n').map((l) => JSON.parse(l));
}

describe('batch mode', () => {
  describe('judgeRun with the Batch API', () => {
    it('uploads one JSONL of official requests keyed by cache key, polls, and annotates every row at batch prices', async (ctx) => {
      // Prepare
      needFixtures(ctx, ...FIXTURES);
      // Act
      const { rows, summary, prepared } = await runJudge({ fake, ws, batch: true });
      // Assess: the first row is the preflight probe, bought in real time; the batch holds all the others
      const lines = uploadedLines();
      const [probe, ...sent] = prepared.jobs.filter((j) => !j.identical);
      expect(fake.chatRequests.map((q) => q.promptKey)).toEqual([JSON.stringify(probe!.messages)]);
      expect(rows[probe!.index]!.judge_source).toBe('api');
      expect(lines.map((l) => l.custom_id)).toEqual(sent.map((j) => j.key));
      lines.forEach((l, i) => {
        expect(l).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
        expect(l.body).toEqual({
          model: 'gpt-4-1106-preview', messages: sent[i]!.messages, max_tokens: 1, temperature: 1, top_p: 1,
          logprobs: true, top_logprobs: 5,
        });
      });
      // Assess: the results
      expect(fake.batches.created).toBe(1);
      expect(summary).toMatchObject({ mode: 'batch', judged: 802, failed: 0, identical: 3 });
      expect(summary.batch).toMatchObject({ status: 'completed', retriedRealTime: 0 });
      prepared.jobs.forEach((job, i) => {
        if (job.identical || job === probe) return;
        const expected = unswitchPreference(fakeJudgeOrderPreference(JSON.stringify(job.messages)), job);
        expect(rows[i]!.preference).toBeCloseTo(expected, 12);
        expect(rows[i]!.judge_source).toBe('batch');
        const usage = rows[i]!.judge_prompt_tokens! * 5 + rows[i]!.judge_completion_tokens! * 15;
        expect(rows[i]!.preference_price_per_example).toBeCloseTo(usage / 1e6, 15);
      });
      expect(LEADERBOARD_JUDGE.prices!.batch).toEqual({ inputPerMillion: 5, outputPerMillion: 15 });
    });

    it('retries in real time exactly the rows the batch failed, expired or lost, but not a 400', async (ctx) => {
      // Prepare
      needFixtures(ctx, ...FIXTURES);
      const fate = new Map<string, string>();
      fake.options.batch = {
        lineFault: (customId, body) => {
          const p = fakeJudgeOrderPreference(JSON.stringify(body.messages));
          const f = p < 1.05 ? { type: 'status' as const, status: 500 }
            : p < 1.1 ? { type: 'error' as const, code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' }
              : p < 1.15 ? { type: 'drop' as const }
                : p > 1.97 ? { type: 'status' as const, status: 400, code: 'context_length_exceeded', message: 'maximum context length' }
                  : undefined;
          fate.set(customId, f?.type === 'status' ? `status${f.status}` : f?.type ?? 'ok');
          return f;
        },
      };
      // Act (batch mechanics alone: no preflight probe, so every prompt goes into the batch)
      const { rows, summary, prepared } = await runJudge({ fake, ws, batch: true, preflight: false });
      // Assess
      const retried = [...fate].filter(([, f]) => f === 'status500' || f === 'error' || f === 'drop').map(([k]) => k);
      const byKey = new Map(prepared.jobs.map((j) => [j.key, j]));
      expect(fake.chatRequests.map((q) => q.promptKey).sort()).toEqual(retried.map((k) => JSON.stringify(byKey.get(k)!.messages)).sort());
      expect(summary.batch?.retriedRealTime).toBe(retried.length);
      const failed = rows.filter((r) => r.judge_source === 'failed');
      expect(failed).toHaveLength([...fate.values()].filter((f) => f === 'status400').length);
      expect(failed.every((r) => /^batch: the prompt is too long/.test(r.judge_error!))).toBe(true);
      expect(rows.filter((r) => r.judge_source === 'api')).toHaveLength(retried.length);
      expect(judgedTwice(fake)).toEqual([]);
    });

    it('resumes the batch a stopped run submitted instead of paying for a second one', async (ctx) => {
      // Prepare: stop the first run while the batch is in progress
      needFixtures(ctx, ...FIXTURES);
      fake.options.batch = { retrievesPerStep: 3 };
      const ac = new AbortController();
      const rowIndices = Array.from({ length: 100 }, (_, i) => i);
      const stopped = await runJudge({
        fake, ws, batch: true, signal: ac.signal, rowIndices, preflight: false,
        onProgress: (t) => {
          if (t.batch?.status === 'in_progress') ac.abort(new Error('stopped'));
        },
      }).catch((e: unknown) => e);
      // Act
      const { summary } = await runJudge({ fake, ws, batch: true, rowIndices, preflight: false });
      // Assess
      expect((stopped as Error).message).toBe('stopped');
      expect(fake.batches.created).toBe(1);
      expect(summary).toMatchObject({ judged: 100, failed: 0 });
      expect(fake.chatRequests).toHaveLength(0);
      expect(judgedTwice(fake)).toEqual([]);
    });

    it('sends nothing on a rerun after the batch was harvested', async (ctx) => {
      // Prepare
      needFixtures(ctx, ...FIXTURES);
      const rowIndices = Array.from({ length: 100 }, (_, i) => 700 + i);
      await runJudge({ fake, ws, batch: true, rowIndices });
      // Act
      const { summary } = await runJudge({ fake, ws, batch: true, rowIndices });
      // Assess
      expect(fake.batches.created).toBe(1);
      expect(summary).toMatchObject({ cached: 99, identical: 1, judged: 0 });
      expect(summary.batch).toBeUndefined();
    });

    it('fails the run with JudgeBatchError when the batch fails validation', async (ctx) => {
      // Prepare
      needFixtures(ctx, ...FIXTURES);
      fake.options.batch = { failValidation: 'The model `gpt-4-1106-preview` is not available for batch.' };
      // Act
      const err = await runJudge({ fake, ws, batch: true }).catch((e: unknown) => e);
      // Assess
      expect(err).toBeInstanceOf(JudgeBatchError);
      expect((err as Error).message).toMatch(/ended with status failed: invalid_request: The model .* line 1/);
    });
  });
});
