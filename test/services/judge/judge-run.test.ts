import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../../lambdas/core/annotations.ts';
import type { ChatMessage } from '../../../lambdas/core/judge/prompt.ts';
import { startFakeOpenAI, fakeJudgeOrderPreference, type FakeOpenAI } from '../../support/fake-openai.ts';
import { needFixtures, readFixtureJson, readFixtureText } from '../../support/fixtures.ts';
import {
  ALPACA_7B_ANNOTATIONS, ALPACA_7B_OUTPUTS, FLAGS, REFERENCE, TEMPLATE, judgedTwice, runJudge, workspace, type Workspace,
} from './judge-harness.ts';
import { JudgeQuotaError } from '../../../lambdas/services/judge/errors.ts';

const FIXTURES = [REFERENCE, TEMPLATE, ALPACA_7B_OUTPUTS, ALPACA_7B_ANNOTATIONS, FLAGS];

interface StoredRow {
  instruction: string;
  output_2: string;
  preference: number | null;
  raw_completion?: Record<string, unknown> | null;
}

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

/** The stored official row of a request, found by the instruction in its user message. */
function storedByPrompt(rows: StoredRow[]): (messages: ChatMessage[]) => StoredRow | undefined {
  const byInstruction = new Map(rows.map((r) => [r.instruction, r]));
  const open = '"instruction": """';
  const close = '""",\n}\n\n## Model Outputs';
  return (messages) => {
    const user = messages.find((m) => m.role === 'user')?.content ?? '';
    const start = user.indexOf(open) + open.length;
    return byInstruction.get(user.slice(start, user.indexOf(close, start)));
  };
}

describe('judge-run', () => {
  describe('judgeRun', () => {
    it('reproduces the official alpaca-7b preferences from the stored logprobs, rows in reference order', async (ctx) => {
      // Prepare: the fake answers every prompt with the official stored completion of that row
      needFixtures(ctx, ...FIXTURES);
      const stored = JSON.parse(readFixtureText(ALPACA_7B_ANNOTATIONS)) as StoredRow[];
      const lookup = storedByPrompt(stored);
      fake.options.answer = (req) => lookup(req.body.messages)?.raw_completion ?? undefined;
      const { examples } = readFixtureJson<{ examples: { messages: ChatMessage[] }[] }>('derived/judge_messages_examples.json');
      // Act
      const { rows, summary } = await runJudge({ fake, ws });
      // Assess
      const reference = JSON.parse(readFixtureText(REFERENCE)) as { instruction: string }[];
      expect(rows.map((r) => r.instruction)).toEqual(reference.map((r) => r.instruction));
      expect(rows.map((r) => r.instruction)).toEqual(stored.map((r) => r.instruction));
      rows.forEach((r, i) => {
        const official = stored[i]!.preference;
        if (official === null) expect(r.preference).toBeNull();
        else expect(Math.abs(r.preference! - official)).toBeLessThan(1e-9);
      });
      const sent = new Set(fake.chatRequests.map((q) => q.promptKey));
      for (const ex of examples) expect(sent.has(JSON.stringify(ex.messages))).toBe(true);
      // three alpaca-7b outputs equal the reference: 1.5 without a call, as officially
      expect(summary).toMatchObject({ rows: 805, judged: 802, failed: 0, cached: 0, identical: 3 });
      expect(rows.filter((r) => r.judge_source === 'identical').map((r) => r.preference)).toEqual([1.5, 1.5, 1.5]);
      expect(fake.chatRequests).toHaveLength(802);
      expect(Object.keys(rows[0]!)).toEqual([
        'instruction', 'output_1', 'generator_1', 'dataset', 'output_2', 'generator_2', 'annotator', 'preference',
        'preference_price_per_example', 'preference_time_per_example', 'preference_raw_completion',
        'judge_prompt_tokens', 'judge_completion_tokens', 'judge_source', 'judge_model_snapshot',
      ]);
      expect(rows[0]).toMatchObject({ generator_1: 'gpt4_1106_preview', generator_2: 'alpaca-7b', annotator: 'weighted_alpaca_eval_gpt4_turbo' });
      expect(parseAnnotations(JSON.stringify(rows), 'annotations.json').rows).toHaveLength(805);
    });

    it('un-switches with the official order flags: a judge that always answers "m" gives 1 + is_switched', async (ctx) => {
      // Prepare
      needFixtures(ctx, ...FIXTURES);
      const { rows: flags } = readFixtureJson<{ rows: { index: number; is_switched_outputs: boolean }[] }>(FLAGS);
      fake.options.answer = () => ({
        index: 0, message: { role: 'assistant', content: 'm' }, finish_reason: 'length',
        logprobs: { content: [{ token: 'm', logprob: 0, top_logprobs: [{ token: 'm', logprob: 0 }, { token: 'M', logprob: -50 }] }] },
      });
      // Act
      const { rows } = await runJudge({ fake, ws });
      // Assess
      expect(rows.map((r) => Math.round(r.preference!))).toEqual(flags.map((f) => (f.is_switched_outputs ? 2 : 1)));
    });

    it('annotates 805/805 under 429s, 500s, resets, hangs and malformed JSON, judging no prompt twice, and a rerun pays nothing', async (ctx) => {
      // Prepare: ~15 % of first attempts fault, some second attempts too; a few prompts answer without m/M (NaN)
      needFixtures(ctx, ...FIXTURES);
      const seen = new Map<string, number>();
      const kinds = [
        { type: 'status', status: 429, headers: { 'retry-after-ms': '20' } },
        { type: 'status', status: 500 }, { type: 'reset' }, { type: 'malformed' },
        { type: 'status', status: 503, headers: { 'retry-after': '0' } },
      ] as const;
      fake.options.latencyMs = 2;
      fake.options.fault = (req) => {
        const n = seen.get(req.promptKey) ?? 0;
        seen.set(req.promptKey, n + 1);
        const h = fakeJudgeOrderPreference(req.promptKey);
        if (h > 1.97) return { type: 'no-mM' };
        if (n === 0 && h < 1.04) return { type: 'hang' };
        const faulty = Math.floor(h * 1000) % 20 < (n === 0 ? 3 : n === 1 ? 1 : 0);
        return faulty ? kinds[Math.floor(h * 10_000 + n) % kinds.length] : undefined;
      };
      // Act
      const { rows, summary } = await runJudge({ fake, ws, scheduler: { attemptTimeoutMs: 1000 } });
      // Assess
      expect(rows).toHaveLength(805);
      expect(summary.failed).toBe(0);
      expect(rows.filter((r) => r.judge_source === 'api')).toHaveLength(802);
      expect(judgedTwice(fake)).toEqual([]);
      expect(fake.answered.size).toBe(802);
      expect(summary.retries).toBeGreaterThan(80);
      expect(summary.rateLimited).toBeGreaterThan(5);
      expect(fake.chatRequests.length - 802).toBe(summary.retries);
      expect(summary.nan).toBeGreaterThan(0);
      expect(rows.filter((r) => r.preference === null)).toHaveLength(summary.nan);
      expect(summary.requests).toBe(fake.chatRequests.length);

      // a rerun pays nothing: every judged row (NaN ones too) comes from the cache with the same preference
      const requests = fake.chatRequests.length;
      fake.options.fault = undefined;
      const again = await runJudge({ fake, ws });
      expect(fake.chatRequests.length).toBe(requests);
      expect(again.summary).toMatchObject({ cached: 802, identical: 3, judged: 0, promptTokens: 0, costUsd: 0 });
      expect(again.rows.map((r) => r.preference)).toEqual(rows.map((r) => r.preference));
      expect(again.rows.filter((r) => r.judge_source === 'cache')).toHaveLength(802);
      expect(again.rows[0]!.preference_price_per_example).toBe(rows[0]!.preference_price_per_example);
    });

    it('records rows that keep failing with their reason, and a rerun sends only those rows', async (ctx) => {
      // Prepare: a chunk of the first 200 rows (row 199 has identical outputs); some prompts always get 500
      needFixtures(ctx, ...FIXTURES);
      const chunk = Array.from({ length: 200 }, (_, i) => i);
      const broken = (key: string) => fakeJudgeOrderPreference(key) < 1.06;
      fake.options.fault = (req) => (broken(req.promptKey) ? { type: 'status', status: 500, message: 'upstream down' } : undefined);
      const first = await runJudge({ fake, ws, rowIndices: chunk, scheduler: { maxAttempts: 3 } });
      const failed = first.rows.filter((r) => r.judge_source === 'failed');
      const before = fake.chatRequests.length;
      fake.options.fault = undefined;
      // Act
      const second = await runJudge({ fake, ws, rowIndices: chunk });
      // Assess
      expect(failed.length).toBeGreaterThan(0);
      expect(first.summary.failedRows.map((r) => r.index)).toEqual(
        first.rows.flatMap((r, i) => (r.judge_source === 'failed' ? [i] : [])),
      );
      expect(failed[0]).toMatchObject({ preference: null, judge_error: 'HTTP 500: upstream down (gave up after 3 attempts)' });
      expect(fake.chatRequests.length - before).toBe(failed.length);
      expect(second.summary).toMatchObject({ failed: 0, judged: failed.length, cached: 199 - failed.length });
      expect(judgedTwice(fake)).toEqual([]);
    });

    it('stops at once on 429 insufficient_quota with a clear message: nothing more is sent than was in flight, a rerun pays only the rest', async (ctx) => {
      // Prepare: the account runs out of credit after 60 paid answers
      needFixtures(ctx, ...FIXTURES);
      fake.options.quota = 60;
      const chunk = Array.from({ length: 200 }, (_, i) => i);
      // Act
      const error = await runJudge({ fake, ws, rowIndices: chunk, scheduler: { concurrency: 8 } }).catch((e: unknown) => e);
      const sent = fake.chatRequests.length;
      const paid = [...fake.answered.values()].reduce((a, b) => a + b, 0);
      fake.options.quota = undefined;
      const rerun = await runJudge({ fake, ws, rowIndices: chunk, scheduler: { concurrency: 8 } });
      // Assess: no retry of a quota 429; at most the 8 in flight when the first one came back were refused too
      expect(error).toBeInstanceOf(JudgeQuotaError);
      expect((error as Error).message).toMatch(/no remaining quota .*You exceeded your current quota.*a rerun continues/);
      expect(paid).toBe(60);
      expect(sent).toBeLessThanOrEqual(60 + 8);
      expect(rerun.summary).toMatchObject({ failed: 0, cached: 60, judged: 199 - 60 });
      expect(judgedTwice(fake)).toEqual([]);
    });

    it('paces to the x-ratelimit-remaining/reset headers of an RPM-limited server: far fewer 429s than without them', async (ctx) => {
      // Prepare: 1,200 RPM (a 20-request bucket), 40 allowed in flight, the client not told the RPM
      needFixtures(ctx, ...FIXTURES);
      const chunk = Array.from({ length: 60 }, (_, i) => i);
      fake.options.rpm = 1200;
      fake.options.latencyMs = 5;
      // Act
      fake.options.rateLimitHeaders = false;
      await runJudge({ fake, ws, rowIndices: chunk, scheduler: { concurrency: 40 }, name: 'blind' });
      const blind429 = fake.stats.rateLimited;
      await ws.cleanup();
      ws = await workspace();
      fake.stats.rateLimited = 0;
      fake.options.rateLimitHeaders = true;
      const told = await runJudge({ fake, ws, rowIndices: chunk, scheduler: { concurrency: 40 }, name: 'told' });
      // Assess: every row judged; the first 40 go out before any header is known (half of them refused), later ones pace
      // to what the server says is left (seen here: 155 429s blind, 37 told)
      expect(told.summary.failed).toBe(0);
      expect(blind429).toBeGreaterThan(20);
      expect(fake.stats.rateLimited).toBeLessThan(blind429 / 2);
    });

    it('fails a prompt that is too long for the judge at once, without retries (judging a chunk of rows)', async (ctx) => {
      // Prepare
      needFixtures(ctx, ...FIXTURES);
      fake.options.maxPromptChars = 6000;
      const chunk = Array.from({ length: 100 }, (_, i) => 300 + i);
      // Act
      const { rows, summary } = await runJudge({ fake, ws, rowIndices: chunk });
      // Assess
      const tooLong = rows.filter((r) => r.judge_source === 'failed');
      expect(tooLong.length).toBeGreaterThan(0);
      expect(tooLong.length).toBeLessThan(100);
      expect(tooLong.every((r) => /too long for the judge/.test(r.judge_error ?? ''))).toBe(true);
      expect(summary.retries).toBe(0);
      expect(fake.chatRequests).toHaveLength(99); // row 370's outputs are identical: no call
      expect(rows[70]).toMatchObject({ judge_source: 'identical', preference: 1.5 });
      const reference = JSON.parse(readFixtureText(REFERENCE)) as { instruction: string }[];
      expect(rows.map((r) => r.instruction)).toEqual(chunk.map((i) => reference[i]!.instruction));
      expect(summary.failedRows.map((r) => r.index)).toEqual(chunk.filter((_, k) => rows[k]!.judge_source === 'failed'));
    });
  });
});
