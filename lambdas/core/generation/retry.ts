/**
 * The retry policy of engine requests: exponential backoff with jitter on transient failures (connection resets,
 * timeouts, HTTP 408/409/429/5xx), honouring the server's `retry-after`; everything else fails at once.
 */

export interface RetryPolicy {
  /** Requests per completion, the first included. */
  maxAttempts: number;
  /** Ceiling of the first backoff; doubles per failure. */
  baseDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  /** Largest wait a `retry-after` header can impose. */
  maxRetryAfterMs: number;
}

/** Six attempts spread over about 10–20 s before giving up. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 120_000,
});

/** HTTP statuses worth retrying: request timeout, conflict, rate limit, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The wait before the next attempt. Without `retryAfterMs`: "equal jitter" backoff, uniformly in [c/2, c) where
 * c = min(maxDelay, base · 2^(failures−1)). With it: that wait (capped at maxRetryAfterMs) plus up to 10 % (≤ 1 s)
 * so that requests told the same time do not all return at once.
 *
 * @example
 * backoffDelayMs({ failures: 3, policy: DEFAULT_RETRY_POLICY, random: () => 0 }); // 1000
 */
export function backoffDelayMs({ failures, policy, random, retryAfterMs }: {
  /** Failed attempts so far (≥ 1). */
  failures: number;
  policy: RetryPolicy;
  /** Uniform in [0, 1). */
  random: () => number;
  retryAfterMs?: number | undefined;
}): number {
  if (retryAfterMs !== undefined) {
    const wait = Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
    return wait + random() * Math.min(wait * 0.1, 1000);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * The wait a server asks for, in ms: `retry-after-ms` (milliseconds), else `retry-after` as seconds or as an HTTP
 * date (relative to `nowMs`). Undefined when absent or unreadable.
 */
export function parseRetryAfter({ retryAfterMs, retryAfter, nowMs }: {
  retryAfterMs?: string | null | undefined;
  retryAfter?: string | null | undefined;
  nowMs: number;
}): number | undefined {
  if (retryAfterMs) {
    const ms = Number(retryAfterMs);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (retryAfter.trim() !== '' && Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const DURATION_UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * A rate-limit reset duration as OpenAI writes it in `x-ratelimit-reset-*` (`"20ms"`, `"1s"`, `"6m0s"`, `"1h2m3.5s"`;
 * a bare number is seconds) in milliseconds; undefined when unreadable.
 */
export function parseResetDuration(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS_MS[p[2]!]!, 0);
}
