/**
 * The generation engine port on any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, TGI) through the
 * `openai` SDK: chat completions for chat mode, `/v1/completions` for prompt templates. The SDK's own retries are
 * off (`maxRetries: 0`); this adapter retries transient failures with its own policy (core/generation/retry.ts) and
 * turns every failure into an `EngineError` whose `kind` says what went wrong.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { EngineCompletion, EngineRequest, GenerationEngine } from '../core/generation/engine.ts';
import { ChatTemplateMissingError, EngineError, type EngineFailureKind } from '../core/generation/errors.ts';
import {
  backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, type RetryPolicy,
} from '../core/generation/retry.ts';

export interface OpenAIEngineOptions {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  /** Sent as the bearer token; local engines ignore it. Never logged. */
  apiKey?: string;
  /** Per-attempt timeout. Default 30 min: a busy engine may queue requests for a long time. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called before each retry wait (for progress counters and logs). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /** Uniform in [0, 1) for jitter; Math.random by default. */
  random?: () => number;
}

/** What a failed attempt means. */
interface AttemptFailure {
  kind: EngineFailureKind;
  status?: number;
  retryable: boolean;
  retryAfterMs?: number;
  detail: string;
}

const NO_CHAT_TEMPLATE = /chat[ _-]?template|template not found/i;

/** The innermost useful description of a connection failure: `ECONNREFUSED`, `ECONNRESET`, … */
function connectionDetail(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && !parts.includes(code)) parts.push(code);
    if (depth > 0 && e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || (err as Error)?.message || String(err);
}

/** Maps one failed attempt (an SDK error or ours) to what to do next. Exported for unit tests of the mapping. */
export function classifyAttemptError(err: unknown, nowMs: number): AttemptFailure {
  if (err instanceof EngineError) return { kind: err.kind, retryable: false, detail: err.message };
  if (err instanceof APIUserAbortError || (err as Error)?.name === 'AbortError') {
    return { kind: 'aborted', retryable: false, detail: 'cancelled' };
  }
  if (err instanceof APIConnectionTimeoutError) return { kind: 'timeout', retryable: true, detail: 'request timed out' };
  if (err instanceof APIConnectionError) return { kind: 'unreachable', retryable: true, detail: connectionDetail(err) };
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const detail = err.message;
    if ((status === 400 || status === 422) && NO_CHAT_TEMPLATE.test(detail)) {
      return { kind: 'no-chat-template', status, retryable: false, detail };
    }
    if (!isRetryableStatus(status)) return { kind: 'rejected', status, retryable: false, detail };
    const retryAfterMs = parseRetryAfter({
      retryAfterMs: err.headers?.get('retry-after-ms'), retryAfter: err.headers?.get('retry-after'), nowMs,
    });
    return { kind: status === 429 ? 'rate-limited' : 'server', status, retryable: true, retryAfterMs, detail };
  }
  return { kind: 'unreachable', retryable: true, detail: connectionDetail(err) };
}

/**
 * vLLM before 0.10 answers errors as `{"object":"error","message":…}` without OpenAI's `{"error":{…}}` envelope,
 * and the SDK then loses the message. This fetch wraps such bodies in the envelope.
 */
const envelopeFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return res;
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const bare = typeof body === 'object' && body !== null && !('error' in body) && 'message' in body;
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(bare ? JSON.stringify({ error: body }) : text, { status: res.status, statusText: res.statusText, headers });
};

export class OpenAIEngine implements GenerationEngine {
  readonly baseUrl: string;
  private readonly client: OpenAI;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly options: OpenAIEngineOptions;

  constructor(options: OpenAIEngineOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.requestTimeoutMs ?? 30 * 60_000;
    this.client = new OpenAI({
      apiKey: options.apiKey || 'EMPTY', baseURL: this.baseUrl, maxRetries: 0, timeout: this.timeoutMs, fetch: envelopeFetch,
    });
  }

  async listModels({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    try {
      const page = await this.client.models.list({ signal, timeout: Math.min(this.timeoutMs, 30_000) });
      return page.data.map((m) => m.id);
    } catch (err) {
      throw this.toError(classifyAttemptError(err, Date.now()), 1, 'list models', err);
    }
  }

  async complete(request: EngineRequest, { signal }: { signal?: AbortSignal } = {}): Promise<EngineCompletion> {
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await this.send(request, signal)), attempts: attempt };
      } catch (err) {
        const failure = classifyAttemptError(err, Date.now());
        if (signal?.aborted) throw this.toError({ ...failure, kind: 'aborted' }, attempt, request.model, err);
        if (!failure.retryable || attempt >= this.policy.maxAttempts) {
          throw this.toError(failure, attempt, request.model, err);
        }
        const delayMs = backoffDelayMs({ failures: attempt, policy: this.policy, random, retryAfterMs: failure.retryAfterMs });
        this.options.onRetry?.({ attempt, delayMs, reason: failure.detail });
        try {
          await sleep(delayMs, undefined, { signal });
        } catch (abort) {
          throw this.toError({ kind: 'aborted', retryable: false, detail: 'cancelled' }, attempt, request.model, abort);
        }
      }
    }
  }

  private async send(request: EngineRequest, signal: AbortSignal | undefined): Promise<Omit<EngineCompletion, 'attempts'>> {
    const common = {
      model: request.model,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      top_p: request.topP,
      ...(request.seed === null ? {} : { seed: request.seed }),
    };
    const opts = { signal, timeout: this.timeoutMs, maxRetries: 0 };
    if (request.kind === 'chat') {
      const res = await this.client.chat.completions.create({ ...common, messages: request.messages, stream: false }, opts);
      const choice = res.choices?.[0];
      const text = choice?.message?.content;
      if (!choice || typeof text !== 'string') throw this.badResponse(request.model, choice ? 'a choice without message content' : 'no choices');
      return { text, finishReason: choice.finish_reason ?? null, ...usage(res.usage) };
    }
    const res = await this.client.completions.create({ ...common, prompt: request.prompt, stream: false }, opts);
    const choice = res.choices?.[0];
    if (!choice || typeof choice.text !== 'string') throw this.badResponse(request.model, choice ? 'a choice without text' : 'no choices');
    return { text: choice.text, finishReason: choice.finish_reason ?? null, ...usage(res.usage) };
  }

  private badResponse(model: string, what: string): EngineError {
    return new EngineError(`the engine at ${this.baseUrl} answered with ${what} for model "${model}"`,
      { kind: 'bad-response', status: 200, attempts: 1 });
  }

  private toError(f: AttemptFailure, attempts: number, model: string, cause: unknown): EngineError {
    if (cause instanceof EngineError && f.kind !== 'aborted') return cause;
    const at = `the engine at ${this.baseUrl}`;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    const messages: Record<EngineFailureKind, string> = {
      'unreachable': `cannot reach ${at}${tries}: ${f.detail}`,
      'timeout': `${at} did not answer within ${Math.round(this.timeoutMs / 1000)} s${tries}`,
      'server': `${at} failed${tries}: HTTP ${f.detail}`,
      'rate-limited': `${at} kept rate-limiting${tries}: HTTP ${f.detail}`,
      'rejected': `${at} refused the request for model "${model}": HTTP ${f.detail}`,
      'bad-response': f.detail,
      'no-chat-template': `${at} has no chat template for model "${model}": ${f.detail}`,
      'aborted': `request to ${at} cancelled`,
    };
    if (f.kind === 'no-chat-template') return new ChatTemplateMissingError(messages[f.kind], { cause });
    return new EngineError(messages[f.kind], { kind: f.kind, status: f.status, attempts }, { cause });
  }
}

function usage(u: { completion_tokens?: number; prompt_tokens?: number } | undefined | null) {
  return {
    completionTokens: typeof u?.completion_tokens === 'number' ? u.completion_tokens : null,
    promptTokens: typeof u?.prompt_tokens === 'number' ? u.prompt_tokens : null,
  };
}
