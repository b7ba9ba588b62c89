/**
 * The judge client on any OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI v1, vLLM) through the `openai`
 * SDK with its retries off (`maxRetries: 0`): the judge scheduler owns retries, timeouts and rate limits. One call is
 * one HTTP attempt, with exactly the official request (model, messages, then the preset's parameters: `max_tokens` 1,
 * `temperature` 1, `top_p` 1, `logprobs`, `top_logprobs` 5 for a logprob judge). The `model` the API answered with
 * (the dated snapshot behind an alias) is kept with every answer. Row-level failures are values with a kind; run-level failures (401/403, unknown
 * model, no quota) are thrown as typed errors. The API key never appears in a message.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { parseResetDuration, parseRetryAfter } from '../core/generation/retry.ts';
import { OPENAI_BASE_URL, type JudgeRequestParameters } from '../core/judge/presets.ts';
import {
  JudgeAuthError, JudgeModelNotFoundError, JudgeQuotaError, type JudgeRunError,
} from '../services/judge/errors.ts';
import type { ServerLimits } from '../services/judge/rate-control.ts';
import type {
  JudgeAttemptOutcome, JudgeAttemptRequest, JudgeClient, ModelAvailability, RawCompletion, TokenUsage,
} from '../services/judge/types.ts';

export { OPENAI_BASE_URL } from '../core/judge/presets.ts';

export interface OpenAIJudgeClientOptions {
  model: string;
  /** Sent as the bearer token. Never logged. */
  apiKey: string;
  /** Base URL including `/v1`; default OpenAI's. */
  baseUrl?: string | undefined;
  request: Readonly<JudgeRequestParameters>;
  /** A custom fetch (tests); default the global one. */
  fetch?: typeof fetch;
}

/** Where a failure happened, for messages and typed errors. */
export interface FailureContext {
  model: string;
  baseUrl: string;
  apiKey?: string | undefined;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function redact(text: string, apiKey: string | undefined): string {
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join('***') : text;
}

function usageOf(v: unknown): TokenUsage | null {
  if (!isRecord(v)) return null;
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return { prompt_tokens: n(v.prompt_tokens), completion_tokens: n(v.completion_tokens), total_tokens: n(v.total_tokens) };
}

/**
 * A chat-completion body as an attempt outcome: the first choice plus `text` and `total_tokens`, as the official
 * decoder stores it. A body that is not a chat completion is a retryable `malformed` failure.
 */
export function completionToOutcome(body: unknown, latencyMs: number): JudgeAttemptOutcome {
  const choice = isRecord(body) && Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!isRecord(choice)) {
    return { ok: false, kind: 'malformed', retryable: true, latencyMs, reason: 'the answer is not a chat completion (no choices)' };
  }
  const usage = usageOf((body as Json).usage);
  const message = isRecord(choice.message) ? choice.message : {};
  const content = typeof message.content === 'string' && message.content !== '' ? message.content : ' ';
  const rawCompletion: RawCompletion = { ...choice, text: content, total_tokens: usage?.total_tokens ?? 0 };
  const model = (body as Json).model;
  return { ok: true, rawCompletion, usage, latencyMs, responseModel: typeof model === 'string' && model !== '' ? model : null };
}

/** What an HTTP error response says, independent of how it arrived (SDK exception or Batch API line). */
export interface HttpFailure {
  status: number;
  code?: string | null | undefined;
  message: string;
  retryAfterMs?: number | undefined;
}

const CONTEXT_TEXT = /maximum context length|context[ _]length|too many tokens|reduce the length/i;
const MODEL_TEXT = /model\b.*\b(does not exist|not found)|DeploymentNotFound/i;

/** Classifies an HTTP error: a run-level error to throw, or a row-level outcome. */
export function classifyHttpFailure(
  failure: HttpFailure,
  context: FailureContext,
  latencyMs: number,
): JudgeAttemptOutcome | JudgeRunError {
  const { status, code } = failure;
  const detail = `HTTP ${status}: ${redact(failure.message, context.apiKey)}`;
  if (status === 401 || status === 403) {
    return new JudgeAuthError({ status, baseUrl: context.baseUrl, detail: redact(failure.message, context.apiKey) });
  }
  if (status === 404 || code === 'model_not_found' || (status === 400 && MODEL_TEXT.test(failure.message))) {
    return new JudgeModelNotFoundError({ model: context.model, baseUrl: context.baseUrl, detail });
  }
  if (status === 429 && code === 'insufficient_quota') return new JudgeQuotaError({ baseUrl: context.baseUrl, detail });
  const base = { ok: false as const, latencyMs, reason: detail };
  if (status === 429) return { ...base, kind: 'rate-limit', retryable: true, retryAfterMs: failure.retryAfterMs };
  if (status === 408 || status === 409 || status >= 500) {
    return { ...base, kind: 'server', retryable: true, retryAfterMs: failure.retryAfterMs };
  }
  if (code === 'context_length_exceeded' || CONTEXT_TEXT.test(failure.message)) {
    return { ...base, kind: 'context-length', retryable: false, reason: `the prompt is too long for the judge (${detail})` };
  }
  return { ...base, kind: 'bad-request', retryable: false };
}

/** OpenAI's `x-ratelimit-remaining-*` / `x-ratelimit-reset-*` headers, when the answer has them. */
export function serverLimitsOf(headers: Pick<Headers, 'get'> | undefined): ServerLimits | undefined {
  if (!headers) return undefined;
  const count = (name: string) => {
    const v = headers.get(name);
    const n = v === null || v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const limits: ServerLimits = {
    limitRequests: count('x-ratelimit-limit-requests'),
    limitTokens: count('x-ratelimit-limit-tokens'),
    remainingRequests: count('x-ratelimit-remaining-requests'),
    resetRequestsMs: parseResetDuration(headers.get('x-ratelimit-reset-requests')),
    remainingTokens: count('x-ratelimit-remaining-tokens'),
    resetTokensMs: parseResetDuration(headers.get('x-ratelimit-reset-tokens')),
  };
  return limits.remainingRequests !== undefined || limits.remainingTokens !== undefined ? limits : undefined;
}

export class OpenAIJudgeClient implements JudgeClient {
  readonly model: string;
  private readonly sdk: OpenAI;
  private readonly context: FailureContext;

  constructor(private readonly options: OpenAIJudgeClientOptions) {
    this.model = options.model;
    const baseUrl = options.baseUrl ?? OPENAI_BASE_URL;
    this.context = { model: options.model, baseUrl, apiKey: options.apiKey };
    this.sdk = new OpenAI({
      apiKey: options.apiKey,
      baseURL: baseUrl,
      maxRetries: 0,
      timeout: 24 * 3600_000, // the scheduler's per-attempt timeout aborts through the signal
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async complete({ messages, signal }: JudgeAttemptRequest): Promise<JudgeAttemptOutcome> {
    const started = performance.now();
    try {
      const params = {
        model: this.model,
        messages: messages as unknown as OpenAI.Chat.ChatCompletionMessageParam[],
        ...this.options.request,
      } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      const { data: body, response } = await this.sdk.chat.completions.create(params, { signal, maxRetries: 0 }).withResponse();
      const outcome = completionToOutcome(body, performance.now() - started);
      const serverLimits = serverLimitsOf(response.headers);
      return serverLimits ? { ...outcome, serverLimits } : outcome;
    } catch (err) {
      const outcome = this.classify(err, signal, performance.now() - started);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    }
  }

  async describeModel(options: { signal?: AbortSignal } = {}): Promise<ModelAvailability> {
    const request = { maxRetries: 2, timeout: 30_000, ...(options.signal ? { signal: options.signal } : {}) };
    const notFound = (err: unknown) => err instanceof APIError && (err.status === 404 || err.status === 405);
    try {
      const model = await this.sdk.models.retrieve(this.model, request);
      return { status: 'served', id: typeof model.id === 'string' ? model.id : this.model };
    } catch (err) {
      this.throwIfAuth(err);
      if (!notFound(err)) return { status: 'unknown', detail: this.describeError(err) };
    }
    // no such model, or an endpoint without GET /models/{id} (vLLM, some proxies): ask the list
    try {
      const listed: string[] = [];
      for await (const m of this.sdk.models.list(request)) listed.push(m.id);
      if (listed.includes(this.model)) return { status: 'served', id: this.model };
      return { status: 'missing', detail: `GET /models/${this.model} answered 404 and GET /models does not list it`, listed };
    } catch (err) {
      // neither models route answers: an endpoint without a models API, which cannot tell
      this.throwIfAuth(err);
      return { status: 'unknown', detail: `GET /models answered ${this.describeError(err)}` };
    }
  }

  private throwIfAuth(err: unknown): void {
    if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
      const inner = isRecord(err.error) && typeof err.error.message === 'string' ? err.error.message : err.message;
      throw new JudgeAuthError({ status: err.status, baseUrl: this.context.baseUrl, detail: redact(inner, this.options.apiKey) });
    }
  }

  private describeError(err: unknown): string {
    if (err instanceof APIError && typeof err.status === 'number') return `HTTP ${err.status}`;
    return redact(err instanceof Error ? err.message : String(err), this.options.apiKey);
  }

  private classify(err: unknown, signal: AbortSignal, latencyMs: number): JudgeAttemptOutcome | JudgeRunError {
    const key = this.options.apiKey;
    if (signal.aborted || err instanceof APIUserAbortError) {
      return { ok: false, kind: 'cancelled', retryable: true, latencyMs, reason: 'cancelled' };
    }
    if (err instanceof APIConnectionTimeoutError) {
      return { ok: false, kind: 'timeout', retryable: true, latencyMs, reason: 'the request timed out' };
    }
    if (err instanceof APIConnectionError) {
      const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { ok: false, kind: 'connection', retryable: true, latencyMs, reason: redact(`connection failed${cause}`, key) };
    }
    if (err instanceof APIError && typeof err.status === 'number') {
      const headers = err.headers;
      const retryAfterMs = parseRetryAfter({
        retryAfterMs: headers?.get('retry-after-ms'), retryAfter: headers?.get('retry-after'), nowMs: Date.now(),
      });
      const inner = isRecord(err.error) && typeof err.error.message === 'string' ? err.error.message : err.message;
      const outcome = classifyHttpFailure({ status: err.status, code: err.code, message: inner, retryAfterMs }, this.context, latencyMs);
      const serverLimits = serverLimitsOf(headers);
      return serverLimits && !(outcome instanceof Error) ? { ...outcome, serverLimits } : outcome;
    }
    // a 200 whose body is not JSON, or a connection dropped while reading the body
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, kind: 'malformed', retryable: true, latencyMs, reason: redact(`unreadable answer: ${message}`, key) };
  }
}
