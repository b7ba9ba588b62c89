/** Time as the judge scheduler sees it: injectable, so unit tests run on virtual time. */

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
});

/**
 * A wake-up call between the scheduler loop and its callbacks: `wait(ms)` resolves on `notify()` or after `ms`;
 * a `notify()` with nobody waiting is remembered, so no wake-up is lost.
 */
export class Wakeup {
  private pending = false;
  private waiter: AbortController | undefined;
  constructor(private readonly clock: Clock) {}

  notify(): void {
    if (this.waiter) this.waiter.abort();
    else this.pending = true;
  }

  async wait(ms = 60_000): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    const ac = new AbortController();
    this.waiter = ac;
    try {
      await this.clock.sleep(ms, ac.signal);
    } finally {
      this.waiter = undefined;
      ac.abort();
    }
  }
}
