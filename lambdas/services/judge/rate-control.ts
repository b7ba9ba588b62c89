/**
 * Client-side rate control of judge requests: token buckets for requests and tokens per minute, and an adaptive
 * factor that halves on HTTP 429 (once per cool-down, so one burst of 429s counts once) and grows back by one
 * concurrency slot per round of successes (additive increase, multiplicative decrease).
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
  /** Window in which further 429s do not cut the rate again. */
  cooldownMs: number;
  /**
   * Seconds of budget a bucket may save up. OpenAI enforces per-minute limits over shorter periods, so the default
   * of 1 s never bursts above what a per-second quantised limiter allows.
   */
  burstSeconds?: number;
}

/** Lowest adaptive factor: 5 % of the configured rates. */
const MIN_FACTOR = 0.05;

/** The admission decisions of the scheduler. */
export class RateControl {
  private factor = 1;
  private pausedUntil = -Infinity;
  private lastCut = -Infinity;
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  /** 429s that cut the factor. */
  cuts = 0;

  constructor(private readonly options: RateControlOptions) {
    const burst = options.burstSeconds ?? 1;
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

  /** A success: grow by 1/C per round of `concurrency()` successes, i.e. one slot per round. */
  onSuccess(): void {
    const c = this.options.concurrency;
    this.factor = Math.min(1, this.factor + 1 / (c * Math.max(1, c * this.factor)));
  }

  /** An HTTP 429: pause everyone for `retryAfterMs` when given, and halve the factor once per cool-down. */
  onRateLimited(retryAfterMs: number | undefined): void {
    const now = this.options.clock.now();
    if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    if (now - this.lastCut >= this.options.cooldownMs) {
      this.factor = Math.max(MIN_FACTOR, this.factor / 2);
      this.lastCut = now;
      this.cuts++;
    }
  }
}
