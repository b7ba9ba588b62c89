/**
 * Client-side rate control of judge requests: token buckets for requests and tokens per minute, and an adaptive
 * factor on concurrency and both budgets that halves on repeated HTTP 429s (once per round: only requests started
 * after the last slow-down count, so one burst counts once), grows back fast (10 % per round of successes) to near the level that caused the slow-down, then probes
 * by one concurrency slot per round.
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

export interface RateControlOptions {
  /** Most requests in flight. */
  concurrency: number;
  /** Requests per minute, when limited. */
  rpm?: number | undefined;
  /** Prompt + completion tokens per minute, when limited. */
  tpm?: number | undefined;
  clock: Clock;
  /** Two 429s within this window (to requests started after the last slow-down) mean congestion. */
  windowMs: number;
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

/** The admission decisions of the scheduler. */
export class RateControl {
  private factor = 1;
  private pausedUntil = -Infinity;
  private lastCut = -Infinity;
  private lastRateLimited = -Infinity;
  /** The factor at the last slow-down: fast recovery below it, slow probing near it. */
  private ceiling = 1;
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
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
    const paused = this.pausedUntil - this.options.clock.now();
    return Math.max(
      0,
      paused,
      this.requests?.waitMs(1, this.factor) ?? 0,
      this.tokens?.waitMs(tokens, this.factor) ?? 0,
    );
  }

  /** Records the start of a request. */
  take(tokens: number): void {
    this.requests?.take(1);
    this.tokens?.take(tokens);
  }

  /**
   * A success. Below 90 % of the level where congestion was last seen, grow by 10 % per round of `concurrency()`
   * successes (a halving is mostly undone in about 6 rounds); from there on probe by one slot per round.
   */
  onSuccess(): void {
    if (this.factor >= 1) return;
    const round = this.concurrency();
    this.factor = this.factor < 0.9 * this.ceiling
      ? this.factor * RECOVERY_PER_ROUND ** (1 / round)
      : this.factor + 1 / (this.options.concurrency * round);
    this.factor = Math.min(1, this.factor);
  }

  /**
   * An HTTP 429 to a request started at `sentAt`: pause everyone for `retryAfterMs` when given. Only a request started
   * after the last slow-down says something about the current level (older ones were sent too fast already): when
   * two of those get a 429 within the window, halve the factor. A lone 429 (arrival jitter at a limit the client
   * already paces to) only pauses.
   */
  onRateLimited(retryAfterMs: number | undefined, sentAt: number): void {
    const now = this.options.clock.now();
    if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    if (sentAt < this.lastCut) return;
    const repeated = now - this.lastRateLimited < this.options.windowMs;
    this.lastRateLimited = now;
    if (repeated) {
      this.ceiling = this.factor;
      this.factor = Math.max(MIN_FACTOR, this.factor / 2);
      this.lastCut = now;
      this.lastRateLimited = -Infinity;
      this.cuts++;
    }
  }
}
