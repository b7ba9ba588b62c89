/**
 * Client-side rate control of judge requests: token buckets for requests and tokens per minute, the server's own
 * account of what is left (`x-ratelimit-*` headers) when it gives one, and an adaptive factor on concurrency and both
 * budgets that halves when HTTP 429s make up a sizeable share of the recent answers (once per round: only requests
 * started after the last slow-down count, so one burst counts once), grows back fast (10 % per round of successes) to
 * near the level that caused the slow-down, then probes by one concurrency slot per round. A sparse 429 is noise: the
 * request told to wait waits, the others go on.
 */
import type { Clock } from './clock.ts';

/** A continuously refilled budget: `perMinute` units a minute, at most `capacity` saved up. */
export class TokenBucket {
  private level: number;
  private last: number;

  constructor(private readonly options: { perMinute: number; capacity: number; clock: Clock }) {
    this.level = options.capacity;
    this.last = options.clock.now();
  }

  private refill(factor: number): void {
    const now = this.options.clock.now();
    const rate = (this.options.perMinute * factor) / 60_000;
    this.level = Math.min(this.options.capacity, this.level + (now - this.last) * rate);
    this.last = now;
  }

  /** Milliseconds until `amount` can be taken at `factor` × the nominal rate (0: now). Above capacity: a full bucket. */
  waitMs(amount: number, factor = 1): number {
    this.refill(factor);
    const need = Math.min(amount, this.options.capacity);
    if (this.level >= need) return 0;
    return ((need - this.level) * 60_000) / (this.options.perMinute * factor);
  }

  /** Takes `amount` (the level may go negative for an amount above capacity: a debt repaid by later refills). */
  take(amount: number): void {
    this.level -= amount;
  }
}

/**
 * What the server says about its own limits (OpenAI's `x-ratelimit-remaining-requests/tokens` and
 * `x-ratelimit-reset-requests/tokens` headers): what is left in the current window and how long until it refills.
 */
export interface ServerLimits {
  limitRequests?: number | undefined;
  limitTokens?: number | undefined;
  remainingRequests?: number | undefined;
  resetRequestsMs?: number | undefined;
  remainingTokens?: number | undefined;
  resetTokensMs?: number | undefined;
}

export interface RateControlOptions {
  /** Most requests in flight. */
  concurrency: number;
  /** Requests per minute, when limited. */
  rpm?: number | undefined;
  /** Prompt + completion tokens per minute, when limited. */
  tpm?: number | undefined;
  clock: Clock;
  /**
   * Share of HTTP 429s among the recent answers (to requests started after the last slow-down) that means congestion
   * (default 0.2). Below it a 429 is noise: only the request told to wait waits.
   */
  congestionShare?: number | undefined;
  /**
   * Seconds of budget a bucket may save up (default 0.25 s). OpenAI enforces per-minute limits over shorter periods
   * (e.g. per second); a quarter-second burst stays under such a limiter even when arrivals jitter.
   */
  burstSeconds?: number;
}

/** Lowest adaptive factor: 5 % of the configured rates. */
const MIN_FACTOR = 0.05;
/** Growth of the factor per round of successes after a slow-down. */
const RECOVERY_PER_ROUND = 1.1;
/** Fewest answers the share of 429s is taken over (fewer answers so far count as successes). */
const MIN_SAMPLE = 16;

/**
 * A server-side budget: `remaining` units at `at`, spent by each request started since, refilled at `perMs` (from the
 * limit, what is left and the time to a full reset; without the limit, all at `until`).
 */
interface ServerBudget {
  remaining: number;
  at: number;
  until: number;
  perMs: number | undefined;
}

/** Milliseconds until `need` units of a server budget are there (0: now). */
function serverWaitMs(b: ServerBudget | undefined, need: number, now: number): number {
  if (!b || now >= b.until) return 0;
  const available = b.remaining + (b.perMs === undefined ? 0 : (now - b.at) * b.perMs);
  if (available >= need) return 0;
  return b.perMs === undefined ? b.until - now : Math.min(b.until - now, (need - available) / b.perMs);
}

/** The admission decisions of the scheduler. */
export class RateControl {
  private factor = 1;
  private pausedUntil = -Infinity;
  private lastCut = -Infinity;
  /** Answers to requests started after the last slow-down, newest last: true for a 429. */
  private recent: boolean[] = [];
  private recentLimited = 0;
  /** The factor at the last slow-down: fast recovery below it, slow probing near it. */
  private ceiling = 1;
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  private serverRequests: ServerBudget | undefined;
  private serverTokens: ServerBudget | undefined;
  /** 429s that cut the factor. */
  cuts = 0;

  constructor(private readonly options: RateControlOptions) {
    const burst = options.burstSeconds ?? 0.25;
    const bucket = (perMinute: number | undefined) => perMinute === undefined
      ? undefined
      : new TokenBucket({ perMinute, capacity: Math.max(1, (perMinute * burst) / 60), clock: options.clock });
    this.requests = bucket(options.rpm);
    this.tokens = bucket(options.tpm);
  }

  /** The current concurrency limit (at least 1). */
  concurrency(): number {
    return Math.max(1, Math.floor(this.options.concurrency * this.factor + 1e-9));
  }

  /** The current adaptive factor in [0.05, 1]. */
  currentFactor(): number {
    return this.factor;
  }

  /** Milliseconds before a request of `tokens` tokens may start (0: now). */
  waitMs(tokens: number): number {
    const now = this.options.clock.now();
    return Math.max(
      0,
      this.pausedUntil - now,
      serverWaitMs(this.serverRequests, 1, now),
      serverWaitMs(this.serverTokens, tokens, now),
      this.requests?.waitMs(1, this.factor) ?? 0,
      this.tokens?.waitMs(tokens, this.factor) ?? 0,
    );
  }

  /** Records the start of a request. */
  take(tokens: number): void {
    this.requests?.take(1);
    this.tokens?.take(tokens);
    if (this.serverRequests) this.serverRequests.remaining -= 1;
    if (this.serverTokens) this.serverTokens.remaining -= tokens;
  }

  /**
   * The server's own account of its limits, from any answer: requests started before its reset time spend what it
   * says is left, refilled evenly up to the reset (from the limit) when the limit is given; none starts when nothing is
   * left. The newest answer wins.
   */
  onServerLimits(limits: ServerLimits): void {
    const now = this.options.clock.now();
    const budget = (limit: number | undefined, remaining: number | undefined, resetMs: number | undefined): ServerBudget | undefined => {
      if (remaining === undefined || resetMs === undefined) return undefined;
      const perMs = limit !== undefined && limit > remaining && resetMs > 0 ? (limit - remaining) / resetMs : undefined;
      return { remaining, at: now, until: now + resetMs, perMs };
    };
    this.serverRequests = budget(limits.limitRequests, limits.remainingRequests, limits.resetRequestsMs) ?? this.serverRequests;
    this.serverTokens = budget(limits.limitTokens, limits.remainingTokens, limits.resetTokensMs) ?? this.serverTokens;
  }

  private observe(limited: boolean, sentAt: number): void {
    if (sentAt < this.lastCut) return;
    this.recent.push(limited);
    if (limited) this.recentLimited++;
    const window = Math.max(MIN_SAMPLE, 2 * this.concurrency());
    while (this.recent.length > window) if (this.recent.shift()) this.recentLimited--;
  }

  /** The share of 429s among the recent answers (a window of max(16, 2 × concurrency) answers). */
  rateLimitedShare(): number {
    return this.recentLimited / Math.max(MIN_SAMPLE, 2 * this.concurrency());
  }

  /**
   * A success. Below 90 % of the level where congestion was last seen, grow by 10 % per round of `concurrency()`
   * successes (a halving is mostly undone in about 6 rounds); from there on probe by one slot per round.
   */
  onSuccess(sentAt = this.options.clock.now()): void {
    this.observe(false, sentAt);
    if (this.factor >= 1) return;
    const round = this.concurrency();
    this.factor = this.factor < 0.9 * this.ceiling
      ? this.factor * RECOVERY_PER_ROUND ** (1 / round)
      : this.factor + 1 / (this.options.concurrency * round);
    this.factor = Math.min(1, this.factor);
  }

  /**
   * An HTTP 429 to a request started at `sentAt`. Only a request started after the last slow-down says something
   * about the current level (older ones were sent too fast already). When the share of 429s among recent answers
   * reaches the congestion share, halve the factor and pause everyone for `retryAfterMs`; 429s of the burst that
   * caused it extend the pause but do not cut again. Below that share a 429 is noise (a jittered arrival, a
   * transient refusal): only the request told to wait waits, nobody else slows down.
   */
  onRateLimited(retryAfterMs: number | undefined, sentAt: number): void {
    const now = this.options.clock.now();
    const congested = sentAt < this.lastCut;
    this.observe(true, sentAt);
    const share = this.options.congestionShare ?? 0.2;
    if (!congested && this.recentLimited >= 2 && this.rateLimitedShare() >= share) {
      this.ceiling = this.factor;
      this.factor = Math.max(MIN_FACTOR, this.factor / 2);
      this.lastCut = now;
      this.recent = [];
      this.recentLimited = 0;
      this.cuts++;
    }
    if (retryAfterMs !== undefined && (congested || this.lastCut === now)) {
      this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    }
  }
}
