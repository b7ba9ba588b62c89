/**
 * The ports of the judge service and the values that flow through it.
 *
 * A judge call is one HTTP attempt; its failures are values (`ok: false`) with a `kind` and whether a retry can help.
 * Only failures that no retry and no other row can fix (a bad key, an unknown model, no quota) are thrown, as the
 * typed errors of `errors.ts`. The scheduler owns retries; the service turns attempts into per-row results.
 */
import type { ChatMessage } from '../../core/judge/prompt.ts';
import type { ServerLimits } from './rate-control.ts';

/** Token counts as the chat-completions API reports them. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * One raw judge completion as the official decoder stores it (`completions_all` item → `preference_raw_completion`):
 * the API's choice object (`finish_reason`, `index`, `logprobs`, `message`) plus `text` and `total_tokens`.
 */
export type RawCompletion = Record<string, unknown>;

/** Why an attempt failed. */
export type JudgeFailureKind =
  | 'rate-limit' // HTTP 429 (not a quota problem)
  | 'server' // HTTP 408, 409, 5xx
  | 'timeout' // no answer within the per-attempt timeout
  | 'connection' // refused, reset, DNS
  | 'malformed' // an answer that is not a chat completion (bad JSON, no choices)
  | 'context-length' // the prompt does not fit the judge's context: no retry can help
  | 'bad-request' // any other 4xx: no retry can help
  | 'cancelled'; // the run was stopped while the attempt was in flight

/** The result of one HTTP attempt. */
export type JudgeAttemptOutcome =
  | {
    ok: true;
    rawCompletion: RawCompletion;
    usage: TokenUsage | null;
    latencyMs: number;
    /** The response's `model`: the snapshot that actually answered (null when the API did not say). */
    responseModel: string | null;
    serverLimits?: ServerLimits;
  }
  | {
    ok: false;
    /** What the server said about its remaining rate-limit budget (`x-ratelimit-*` headers), when it did. */
    serverLimits?: ServerLimits;
    kind: JudgeFailureKind;
    reason: string;
    retryable: boolean;
    /** The wait the server asked for (`retry-after-ms` / `retry-after`), when it did. */
    retryAfterMs?: number;
    latencyMs: number;
  };

/** One attempt's input: the exact messages, and a signal that cancels the HTTP request. */
export interface JudgeAttemptRequest {
  messages: readonly ChatMessage[];
  signal: AbortSignal;
}

/** Port: a chat-completions judge with logprobs. One call = one HTTP attempt, no retries inside. */
export interface JudgeClient {
  /** The model name sent with every request. */
  readonly model: string;
  /**
   * Sends one request (the preset's parameters, e.g. `max_tokens` 1 and top-5 logprobs). Row-level failures
   * are returned; run-level failures (`JudgeRunError` subclasses) are thrown.
   */
  complete(request: JudgeAttemptRequest): Promise<JudgeAttemptOutcome>;
  /**
   * Asks the endpoint about the model (`GET /models/{id}`, then the `GET /models` list): `served`, `missing` (with
   * the listed model ids when the endpoint lists them), or `unknown` when the endpoint has no models API. Throws the
   * run-level errors (bad key). Optional: a client without it skips the existence check (the first-row probe stays).
   */
  describeModel?(options?: { signal?: AbortSignal }): Promise<ModelAvailability>;
}

/** What an endpoint says about a model. */
export type ModelAvailability =
  | { status: 'served'; id: string }
  | { status: 'missing'; detail: string; listed: readonly string[] | null }
  | { status: 'unknown'; detail: string };

/** Where a row's judgement came from in this run. */
export type JudgementSource = 'api' | 'batch' | 'cache';

/**
 * The judgement of one prompt (one cache key), in the judge's order. A parser NaN is a result (`preference` NaN with
 * `parseError`), as in the official tool; only transport failures are `ok: false`.
 */
export type KeyJudgement =
  | {
    ok: true;
    source: JudgementSource;
    /** 2 − P("m"): 1 = first shown output wins; NaN when the completion has no usable m/M logprobs. */
    judgeOrderPreference: number;
    parseError?: string;
    rawCompletion: RawCompletion;
    usage: TokenUsage | null;
    /** What the judgement cost when it was bought (null: unknown prices); a cache hit costs nothing now. */
    costUsd: number | null;
    latencyMs: number;
    /** HTTP attempts spent in this run (0 for a cache hit). */
    attempts: number;
    /** The model snapshot that answered (null: unknown, e.g. a cache entry older than this field). */
    responseModel: string | null;
  }
  | { ok: false; reason: string; retryable: boolean; attempts: number };

/** A stored judgement: only successful completions (a parser NaN included) are ever stored. */
export interface CachedJudgement {
  /** The content address (`judgeJobKey`). */
  key: string;
  judgeModel: string;
  rawCompletion: RawCompletion;
  usage: TokenUsage | null;
  costUsd: number | null;
  latencyMs: number;
  via: 'api' | 'batch';
  /** ISO time of the purchase. */
  createdAt: string;
  /** The response's `model` (absent in entries written before it was recorded). */
  responseModel?: string | null;
}

/** Port: the content-addressed judgement cache. */
export interface JudgeCache {
  /** The stored judgement, or undefined when absent or unreadable (an unreadable entry counts as absent). */
  get(key: string): Promise<CachedJudgement | undefined>;
  /** Stores a judgement atomically; a crash never leaves a half-written entry. */
  put(entry: CachedJudgement): Promise<void>;
}

/** One request line of a Batch API job. */
export interface BatchJudgeRequest {
  /** The row's cache key: OpenAI's `custom_id`. */
  customId: string;
  messages: readonly ChatMessage[];
}

/** The state of a submitted batch. */
export interface BatchJobStatus {
  batchId: string;
  /** OpenAI batch status: validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled. */
  status: string;
  /** True for completed, failed, expired, cancelled. */
  terminal: boolean;
  counts: { total: number; completed: number; failed: number };
  outputFileId?: string;
  errorFileId?: string;
  /** Batch-level errors (a batch that failed validation). */
  errors: string[];
}

/** Port: the OpenAI Batch API for judge requests. */
export interface BatchJudgeClient {
  readonly model: string;
  /** Uploads the JSONL and creates the batch (`/v1/chat/completions`, 24 h window). */
  submit(requests: readonly BatchJudgeRequest[], options?: { signal?: AbortSignal }): Promise<{ batchId: string }>;
  status(batchId: string, options?: { signal?: AbortSignal }): Promise<BatchJobStatus>;
  /** Downloads and parses the output and error files: one outcome per custom_id found in them. */
  results(status: BatchJobStatus, options?: { signal?: AbortSignal }): Promise<Map<string, JudgeAttemptOutcome>>;
}
