import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIEngine } from '../../lambdas/adapters/openai-engine.ts';
import type { EngineRequest } from '../../lambdas/core/generation/engine.ts';
import { ChatTemplateMissingError, EngineError } from '../../lambdas/core/generation/errors.ts';
import { fakeOutputText, startFakeEngine, type FakeEngine, type FakeEngineOptions, type Fault } from '../support/fake-engine.ts';

const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 };
let engine: FakeEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function setup(options: FakeEngineOptions = {}, extra: Partial<ConstructorParameters<typeof OpenAIEngine>[0]> = {}) {
  engine = await startFakeEngine({ outputTokens: () => 5, ...options });
  return new OpenAIEngine({ baseUrl: engine.baseUrl, retry: FAST_RETRY, ...extra });
}

const chat = (content = 'Say hi', seed: number | null = 7): EngineRequest => ({
  kind: 'chat', messages: [{ role: 'user', content }], model: 'fake-model', maxTokens: 3, temperature: 0.7, topP: 0.9, seed,
});

async function failure(p: Promise<unknown>): Promise<EngineError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('OpenAIEngine', () => {
  describe('complete', () => {
    it('sends a chat request with the model, decoding parameters, seed and messages, and returns the raw text', async () => {
      const client = await setup();
      const res = await client.complete(chat('Say hi'));
      const body = engine!.requests[0]!.body;
      expect(engine!.requests[0]!.path).toBe('/v1/chat/completions');
      expect(body).toMatchObject({ model: 'fake-model', max_tokens: 3, temperature: 0.7, top_p: 0.9, seed: 7,
        messages: [{ role: 'user', content: 'Say hi' }] });
      expect(res).toEqual({ text: fakeOutputText('Say hi', 3), finishReason: 'length', completionTokens: 3,
        promptTokens: 2, attempts: 1 });
    });

    it('sends a prompt to /v1/completions without a seed when none is set', async () => {
      const client = await setup();
      const res = await client.complete({ kind: 'completion', prompt: 'Q: x\nA:', model: 'fake-model', maxTokens: 10,
        temperature: 0, topP: 1, seed: null });
      expect(engine!.requests[0]!.path).toBe('/v1/completions');
      expect(engine!.requests[0]!.body).toMatchObject({ prompt: 'Q: x\nA:', max_tokens: 10, temperature: 0, top_p: 1 });
      expect(engine!.requests[0]!.body).not.toHaveProperty('seed');
      expect(res.finishReason).toBe('stop');
      expect(res.text).toBe(fakeOutputText('Q: x\nA:', 5));
    });

    it('retries HTTP 500 and a connection reset, then succeeds', async () => {
      const retries: string[] = [];
      const client = await setup({ fault: (_r, n) => (n === 0 ? { type: 'status', status: 500 } : n === 1 ? { type: 'reset' } : undefined) },
        { onRetry: (i) => retries.push(i.reason) });
      const res = await client.complete(chat());
      expect(res.attempts).toBe(3);
      expect(engine!.requests).toHaveLength(3);
      expect(retries[0]).toMatch(/^500 injected 500/);
      expect(retries[1]).toMatch(/ECONNRESET|socket|terminated/i);
    });

    it('honours retry-after-ms and retry-after on HTTP 429', async () => {
      const client = await setup({
        fault: (_r, n): Fault | undefined => (n === 0 ? { type: 'status', status: 429, headers: { 'retry-after-ms': '300' } }
          : n === 1 ? { type: 'status', status: 429, headers: { 'retry-after': '1' } } : undefined),
      });
      await client.complete(chat());
      const [a, b, c] = engine!.requests.map((r) => r.at);
      expect(b! - a!).toBeGreaterThanOrEqual(290);
      expect(c! - b!).toBeGreaterThanOrEqual(990);
    });

    it('gives up after the last attempt with the status and the attempt count', async () => {
      const client = await setup({ fault: () => ({ type: 'status', status: 503, message: 'overloaded' }) });
      const err = await failure(client.complete(chat()));
      expect(err).toMatchObject({ kind: 'server', status: 503, attempts: 4 });
      expect(err.message).toMatch(/failed after 4 attempts: HTTP 503 overloaded/);
      expect(engine!.requests).toHaveLength(4);
    });

    it('fails at once when the engine refuses the request (unknown model)', async () => {
      const client = await setup();
      const err = await failure(client.complete({ ...chat(), model: 'other' }));
      expect(err).toMatchObject({ kind: 'rejected', status: 404, attempts: 1 });
      expect(err.message).toMatch(/refused the request for model "other": HTTP 404 The model `other` does not exist/);
    });

    it.each([false, true])('reports a missing chat template as ChatTemplateMissingError (legacy vLLM errors: %s)', async (legacyErrors) => {
      const client = await setup({ noChatTemplate: true, legacyErrors });
      const err = await failure(client.complete(chat()));
      expect(err).toBeInstanceOf(ChatTemplateMissingError);
      expect(err.kind).toBe('no-chat-template');
      expect(err.message).toMatch(/default chat template is no longer allowed/);
      expect(engine!.requests).toHaveLength(1);
    });

    it('reports an answer without choices as a bad response', async () => {
      const client = await setup({ fault: () => ({ type: 'empty-choices' }) });
      const err = await failure(client.complete(chat()));
      expect(err).toMatchObject({ kind: 'bad-response' });
      expect(err.message).toMatch(/answered with no choices for model "fake-model"/);
    });

    it('reports an unreachable engine after retrying', async () => {
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const client = new OpenAIEngine({ baseUrl: `http://127.0.0.1:${port}/v1`, retry: FAST_RETRY });
      const err = await failure(client.complete(chat()));
      expect(err).toMatchObject({ kind: 'unreachable', attempts: 4 });
      expect(err.message).toMatch(/cannot reach the engine at http:\/\/127\.0\.0\.1:\d+\/v1 after 4 attempts: .*ECONNREFUSED/);
    });

    it('times out a hung request per attempt', async () => {
      const client = await setup({ fault: () => ({ type: 'hang' }) }, { requestTimeoutMs: 150, retry: { ...FAST_RETRY, maxAttempts: 2 } });
      const err = await failure(client.complete(chat()));
      expect(err).toMatchObject({ kind: 'timeout', attempts: 2 });
      expect(engine!.requests).toHaveLength(2);
    });

    it('stops when the caller aborts', async () => {
      const client = await setup({ fault: () => ({ type: 'hang' }) });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const err = await failure(client.complete(chat(), { signal: controller.signal }));
      expect(err.kind).toBe('aborted');
      expect(engine!.requests).toHaveLength(1);
    });
  });

  describe('listModels', () => {
    it('lists the served model names', async () => {
      const client = await setup({ models: ['a', 'b'] });
      expect(await client.listModels()).toEqual(['a', 'b']);
    });
  });
});
