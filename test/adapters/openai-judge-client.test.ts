import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIJudgeClient } from '../../lambdas/adapters/openai-judge-client.ts';
import { JUDGE_PRESETS } from '../../lambdas/core/judge/presets.ts';
import type { ChatMessage } from '../../lambdas/core/judge/prompt.ts';
import { JudgeAuthError, JudgeModelNotFoundError, JudgeQuotaError } from '../../lambdas/services/judge/errors.ts';
import { fakeChoice, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-openai.ts';
import { needFixtures, readFixtureJson } from '../support/fixtures.ts';

const PRESET = JUDGE_PRESETS.weighted_alpaca_eval_gpt4_turbo!;
const KEY = 'sk-test-secret-0123456789';
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are a judge.' },
  { role: 'user', content: 'Which is better? m or M' },
];

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function client(options: FakeOpenAIOptions = {}, model = PRESET.model) {
  fake = await startFakeOpenAI(options);
  return new OpenAIJudgeClient({ model, apiKey: KEY, baseUrl: fake.baseUrl, request: PRESET.request });
}

function signal(): AbortSignal {
  return new AbortController().signal;
}

describe('openai-judge-client', () => {
  describe('OpenAIJudgeClient.complete', () => {
    it('sends exactly the official request with the official messages of stored examples', async (ctx) => {
      // Prepare
      needFixtures(ctx, 'derived/judge_messages_examples.json');
      const { examples } = readFixtureJson<{ examples: { messages: ChatMessage[] }[] }>('derived/judge_messages_examples.json');
      const judge = await client();
      // Act
      for (const ex of examples) await judge.complete({ messages: ex.messages, signal: signal() });
      // Assess
      expect(fake!.chatRequests).toHaveLength(examples.length);
      fake!.chatRequests.forEach((r, i) => {
        expect(r.body).toEqual({
          model: 'gpt-4-1106-preview', messages: examples[i]!.messages, max_tokens: 1, temperature: 1, top_p: 1,
          logprobs: true, top_logprobs: 5,
        });
        expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
        expect(r.headers['x-stainless-retry-count']).toBe('0');
      });
    });

    it('returns the first choice with text and total_tokens, usage and latency', async () => {
      // Prepare
      const judge = await client();
      // Act
      const out = await judge.complete({ messages: MESSAGES, signal: signal() });
      // Assess
      const promptKey = JSON.stringify(MESSAGES);
      const expectedChoice = fakeChoice(promptKey);
      expect(out.ok).toBe(true);
      if (!out.ok) return;
      expect(out.rawCompletion).toEqual({
        ...expectedChoice, text: (expectedChoice.message as { content: string }).content, total_tokens: out.usage!.total_tokens,
      });
      expect(out.usage).toEqual({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 });
      expect(out.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it.each([
      ['429 with retry-after-ms', { type: 'status', status: 429, headers: { 'retry-after-ms': '250' } }, 'rate-limit', true, 250],
      ['429 with retry-after seconds', { type: 'status', status: 429, headers: { 'retry-after': '2' } }, 'rate-limit', true, 2000],
      ['500', { type: 'status', status: 500 }, 'server', true, undefined],
      ['503', { type: 'status', status: 503 }, 'server', true, undefined],
      ['a connection reset', { type: 'reset' }, 'connection', true, undefined],
      ['malformed JSON', { type: 'malformed' }, 'malformed', true, undefined],
      ['context too long', { type: 'status', status: 400, code: 'context_length_exceeded', message: 'maximum context length is 8192' }, 'context-length', false, undefined],
      ['another 400', { type: 'status', status: 400, message: 'bad top_logprobs' }, 'bad-request', false, undefined],
    ] as const)('turns %s into a %s failure value after one HTTP request', async (_name, fault, kind, retryable, retryAfterMs) => {
      // Prepare
      const judge = await client({ fault: () => fault });
      // Act
      const out = await judge.complete({ messages: MESSAGES, signal: signal() });
      // Assess
      expect(out).toMatchObject({ ok: false, kind, retryable });
      if (!out.ok) expect(out.retryAfterMs).toBe(retryAfterMs);
      expect(fake!.chatRequests).toHaveLength(1);
    });

    it('returns a completion without m/M tokens as a completion (the parser decides NaN)', async () => {
      // Prepare
      const judge = await client({ fault: () => ({ type: 'no-mM' }) });
      // Act
      const out = await judge.complete({ messages: MESSAGES, signal: signal() });
      // Assess
      expect(out.ok).toBe(true);
    });

    it('reports a cancelled attempt when the signal aborts', async () => {
      // Prepare
      const judge = await client({ fault: () => ({ type: 'hang' }) });
      const ac = new AbortController();
      // Act
      const pending = judge.complete({ messages: MESSAGES, signal: ac.signal });
      setTimeout(() => ac.abort(), 30);
      const out = await pending;
      // Assess
      expect(out).toMatchObject({ ok: false, kind: 'cancelled' });
    });

    it('throws JudgeAuthError on 401 without echoing the key', async () => {
      // Prepare
      const judge = await client({ apiKey: 'sk-the-right-one' });
      // Act
      const err = await judge.complete({ messages: MESSAGES, signal: signal() }).catch((e: unknown) => e);
      // Assess
      expect(err).toBeInstanceOf(JudgeAuthError);
      expect((err as Error).message).toMatch(/HTTP 401.*OPENAI_API_KEY/);
      expect((err as Error).message).not.toContain(KEY);
      expect(fake!.chatRequests).toHaveLength(1);
    });

    it('throws JudgeModelNotFoundError naming the presets and the comparability caveat', async () => {
      // Prepare
      const judge = await client({ models: ['gpt-4-1106-preview'] }, 'gpt-4-1106-previwe');
      // Act
      const err = await judge.complete({ messages: MESSAGES, signal: signal() }).catch((e: unknown) => e);
      // Assess
      expect(err).toBeInstanceOf(JudgeModelNotFoundError);
      const message = (err as Error).message;
      expect(message).toContain('"gpt-4-1106-previwe"');
      expect(message).toContain('weighted_alpaca_eval_gpt4_turbo (gpt-4-1106-preview)');
      expect(message).toContain('not comparable');
    });

    it('hands back the x-ratelimit-limit/remaining/reset headers of a success and of a 429', async () => {
      // Prepare: a 60 RPM server (a one-request bucket) that reports its limits
      const judge = await client({ rpm: 60, rateLimitHeaders: true });
      // Act
      const first = await judge.complete({ messages: MESSAGES, signal: signal() });
      const second = await judge.complete({ messages: MESSAGES, signal: signal() });
      // Assess
      expect(first).toMatchObject({ ok: true, serverLimits: { limitRequests: 1, remainingRequests: 0 } });
      expect(second).toMatchObject({ ok: false, kind: 'rate-limit', serverLimits: { limitRequests: 1, remainingRequests: 0 } });
      for (const o of [first, second]) {
        expect(o.serverLimits?.resetRequestsMs).toBeGreaterThan(0);
        expect(o.serverLimits?.resetRequestsMs).toBeLessThanOrEqual(1000);
      }
    });

    it('has no server limits when the server sends no x-ratelimit headers', async () => {
      const judge = await client();
      const o = await judge.complete({ messages: MESSAGES, signal: signal() });
      expect(o.ok && o.serverLimits).toBeUndefined();
    });

    it('throws JudgeQuotaError on 429 insufficient_quota (waiting cannot help)', async () => {
      // Prepare
      const judge = await client({ fault: () => ({ type: 'status', status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' }) });
      // Act
      const err = await judge.complete({ messages: MESSAGES, signal: signal() }).catch((e: unknown) => e);
      // Assess
      expect(err).toBeInstanceOf(JudgeQuotaError);
    });
  });
});
