/**
 * Virtual time for scheduler tests: `sleep` registers a timer; `run(promise)` lets all pending work settle, then jumps
 * to the next timer, until the promise settles. Code under test must wait only through this clock.
 */
import type { Clock } from '../../../lambdas/services/judge/clock.ts';

interface Timer {
  at: number;
  resolve: () => void;
}

const settle = () => new Promise<void>((r) => setImmediate(r));

export class VirtualClock implements Clock {
  private t = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer: Timer = { at: this.t + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      }, { once: true });
    });
  }

  /** Drives virtual time until `promise` settles; throws if it waits on nothing. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    promise.then(() => (done = true), () => (done = true));
    for (;;) {
      await settle();
      if (done) return promise;
      if (this.timers.length === 0) throw new Error(`deadlock at t=${this.t}: nothing to wait for`);
      const next = Math.min(...this.timers.map((x) => x.at));
      this.t = next;
      const due = this.timers.filter((x) => x.at <= next);
      this.timers = this.timers.filter((x) => x.at > next);
      for (const x of due) x.resolve();
    }
  }
}
