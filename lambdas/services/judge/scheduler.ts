/**
 * Runs attempts of many tasks under a concurrency limit, RPM/TPM budgets and adaptive slow-down, retrying transient
 * failures with exponential backoff and jitter (or the server's `retry-after`), with a per-attempt timeout and a cap
 * on attempts. Every task ends in exactly one `onResult` call — a value or a recorded failure — unless a task throws
 * (a run-level failure), which stops the run: in-flight attempts are cancelled and the error is rethrown after they
 * settle, with every success that arrived before it already reported.
 */
import { setMaxListeners } from 'node:events';
import { backoffDelayMs, type RetryPolicy } from '../../core/generation/retry.ts';
import { Wakeup, type Clock } from './clock.ts';
import { RateControl, type ServerLimits } from './rate-control.ts';

export interface SchedulerSettings {
  concurrency: number;
  rpm?: number | undefined;
  tpm?: number | undefined;
  /** Attempts per task that failed for other reasons than 429; then the task is recorded as failed. */
  maxAttempts: number;
  /**
   * HTTP 429 answers a task may receive before it is recorded as failed. Counted apart: a 429 says the client is too
   * fast, not that the row is bad.
   */
  maxRateLimitedAttempts: number;
  attemptTimeoutMs: number;
  /** First backoff ceiling (doubles per failure, equal jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest `retry-after` honoured. */
  maxRetryAfterMs: number;
  /**
   * Share of HTTP 429s among recent answers (to requests started after the last slow-down) that halves the rate and
   * pauses everyone for the server's retry-after; below it a 429 only delays its own request.
   */
  congestionShare: number;
}

export const DEFAULT_SCHEDULER_SETTINGS: Readonly<SchedulerSettings> = Object.freeze({
  concurrency: 16,
  maxAttempts: 10,
  maxRateLimitedAttempts: 30,
  attemptTimeoutMs: 120_000,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 120_000,
  congestionShare: 0.2,
});

/**
 * One attempt's result. `rateLimited` marks an HTTP 429 (slows everyone down when 429s are a sizeable share of recent
 * answers); `serverLimits` is what the server said about its remaining budget, when it did.
 */
export type AttemptResult<T> =
  | { ok: true; value: T; serverLimits?: ServerLimits | undefined }
  | {
    ok: false; reason: string; retryable: boolean; rateLimited?: boolean; retryAfterMs?: number | undefined;
    serverLimits?: ServerLimits | undefined;
  };

/** A task's final result. */
export type TaskResult<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; reason: string; retryable: boolean; attempts: number };

export interface SchedulerTask<T> {
  readonly id: string;
  /** Estimated tokens of one request (for the TPM budget). */
  readonly tokens: number;
  /** One attempt; must honour `signal`. Throwing stops the whole run. */
  attempt(context: { signal: AbortSignal; attempt: number }): Promise<AttemptResult<T>>;
}

/** Live counters, readable while the run goes on (progress) and after it (summary). */
export interface SchedulerStats {
  attempts: number;
  retries: number;
  rateLimited: number;
  timeouts: number;
  inFlight: number;
  peakInFlight: number;
  /** Slow-downs triggered by 429s. */
  slowdowns: number;
  /** True when `drainAt` came before every task had a result (the rest were handed back). */
  drained: boolean;
}

export function newSchedulerStats(): SchedulerStats {
  return { attempts: 0, retries: 0, rateLimited: 0, timeouts: 0, inFlight: 0, peakInFlight: 0, slowdowns: 0, drained: false };
}

export interface RunScheduledOptions<T> {
  tasks: readonly SchedulerTask<T>[];
  settings: SchedulerSettings;
  clock: Clock;
  /** Uniform in [0, 1), for jitter. */
  random: () => number;
  /** Called once per task; awaited before the task counts as done. Throwing stops the run. */
  onResult: (task: SchedulerTask<T>, result: TaskResult<T>) => void | Promise<void>;
  onRetry?: (info: { id: string; attempt: number; delayMs: number; reason: string }) => void;
  stats?: SchedulerStats;
  /** Stops the run (in-flight attempts are cancelled; unfinished tasks get no result). */
  signal?: AbortSignal;
  /**
   * Clock time from which no attempt starts, retries included: attempts in flight finish (each within
   * `attemptTimeoutMs` plus a short grace), then the run ends; tasks without a result then get none (handed back to
   * the caller, nothing cancelled that may already be paid for).
   */
  drainAt?: number;
  /**
   * The rate control to admit attempts with, shared by consecutive runs over one budget (a probe, then the rest);
   * default: a new one from `settings`.
   */
  control?: RateControl;
}

/** A rate control for `settings` (see `RunScheduledOptions.control`). */
export function rateControlFor(settings: SchedulerSettings, clock: Clock): RateControl {
  return new RateControl({ concurrency: settings.concurrency, rpm: settings.rpm, tpm: settings.tpm, clock, congestionShare: settings.congestionShare });
}

const TIMED_OUT = Symbol('timed out');

/** How long a timed-out attempt may take to settle after its abort before it is abandoned. */
export const LATE_ANSWER_GRACE_MS = 1000;

/** The promise's value if it fulfils within `ms`, else undefined. */
async function settledWithin<R>(p: Promise<R>, ms: number, clock: Clock): Promise<R | undefined> {
  const ac = new AbortController();
  try {
    return await Promise.race([p.catch(() => undefined), clock.sleep(ms, ac.signal).then(() => undefined)]);
  } finally {
    ac.abort();
  }
}

interface Entry<T> {
  task: SchedulerTask<T>;
  attempts: number;
  /** Failed attempts other than 429s. */
  failures: number;
  /** Clock time the last attempt started. */
  sentAt: number;
  rateLimits: number;
}

export async function runScheduled<T>(options: RunScheduledOptions<T>): Promise<SchedulerStats> {
  const { settings: s, clock } = options;
  const stats = options.stats ?? newSchedulerStats();
  const policy: RetryPolicy = {
    maxAttempts: s.maxAttempts, baseDelayMs: s.baseDelayMs, maxDelayMs: s.maxDelayMs, maxRetryAfterMs: s.maxRetryAfterMs,
  };
  const control = options.control ?? rateControlFor(s, clock);
  const ready: Entry<T>[] = options.tasks.map((task) => ({ task, attempts: 0, failures: 0, rateLimits: 0, sentAt: 0 }));
  const running = new Set<Promise<void>>();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one listener per attempt in flight and per retry waiting
  const wake = new Wakeup(clock);
  let waiting = 0;
  let holding = 0;
  let fatal: { error: unknown } | undefined;
  const onOuterAbort = () => {
    stop.abort();
    wake.notify();
  };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const fail = (error: unknown) => {
    fatal ??= { error };
    stop.abort();
    wake.notify();
  };

  const attemptOnce = async (entry: Entry<T>): Promise<AttemptResult<T> | undefined> => {
    entry.attempts++;
    entry.sentAt = clock.now();
    stats.attempts++;
    const attemptAc = new AbortController();
    const onStop = () => attemptAc.abort();
    stop.signal.addEventListener('abort', onStop, { once: true });
    const timerAc = new AbortController();
    const timer = clock.sleep(s.attemptTimeoutMs, timerAc.signal).then(() => {
      if (timerAc.signal.aborted) return undefined;
      attemptAc.abort();
      return TIMED_OUT;
    });
    const call = entry.task.attempt({ signal: attemptAc.signal, attempt: entry.attempts });
    call.catch(() => undefined); // a late rejection after a timeout is not unhandled
    try {
      const r = await Promise.race([call, timer]);
      if (r !== TIMED_OUT) return r as AttemptResult<T>;
      // the attempt's signal is aborted; an answer that arrived meanwhile is paid for, so it still counts
      const late = await settledWithin(call, LATE_ANSWER_GRACE_MS, clock);
      if (late?.ok) return late;
      stats.timeouts++;
      return { ok: false, retryable: true, reason: `no answer within ${s.attemptTimeoutMs} ms` };
    } catch (error) {
      fail(error);
      return undefined;
    } finally {
      timerAc.abort();
      stop.signal.removeEventListener('abort', onStop);
    }
  };

  const settle = async (entry: Entry<T>, r: AttemptResult<T>): Promise<void> => {
    if (r.serverLimits) control.onServerLimits(r.serverLimits);
    if (r.ok) {
      control.onSuccess(entry.sentAt);
      await options.onResult(entry.task, { ok: true, value: r.value, attempts: entry.attempts });
      return;
    }
    if (stop.signal.aborted) return; // cancelled by the stop: no result, the task stays unfinished
    if (r.rateLimited) {
      stats.rateLimited++;
      entry.rateLimits++;
      const before = control.cuts;
      control.onRateLimited(r.retryAfterMs, entry.sentAt);
      stats.slowdowns += control.cuts - before;
    } else {
      entry.failures++;
    }
    const budgetLeft = r.rateLimited ? entry.rateLimits < s.maxRateLimitedAttempts : entry.failures < s.maxAttempts;
    if (r.retryable && budgetLeft) {
      // the wait is the backoff, or the server's retry-after when longer: a crowd told "10 ms" must not return at once
      const n = r.rateLimited ? entry.rateLimits : entry.failures;
      const { random } = options;
      const backoff = backoffDelayMs({ failures: n, policy, random });
      const told = r.retryAfterMs === undefined ? 0 : backoffDelayMs({ failures: n, policy, random, retryAfterMs: r.retryAfterMs });
      const delayMs = Math.max(backoff, told);
      stats.retries++;
      options.onRetry?.({ id: entry.task.id, attempt: entry.attempts, delayMs, reason: r.reason });
      // a rate-limited task keeps its slot while it waits: 429s come back at once and must not free slots for more
      const holds = r.rateLimited === true;
      waiting++;
      if (holds) holding++;
      void clock.sleep(delayMs, stop.signal).then(() => {
        waiting--;
        if (holds) holding--;
        ready.unshift(entry); // retries first: they must not pile up at the tail
        wake.notify();
      });
      return;
    }
    const reason = r.retryable ? `${r.reason} (gave up after ${entry.attempts} attempts)` : r.reason;
    await options.onResult(entry.task, { ok: false, reason, retryable: r.retryable, attempts: entry.attempts });
  };

  const launch = (entry: Entry<T>) => {
    stats.inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    const p = (async () => {
      const r = await attemptOnce(entry);
      if (r) await settle(entry, r);
    })()
      .catch(fail)
      .finally(() => {
        stats.inFlight--;
        running.delete(p);
        wake.notify();
      });
    running.add(p);
  };

  const { drainAt } = options;
  /** Milliseconds until the drain (for a wait that must not sleep past it), or undefined without one. */
  const untilDrain = () => (drainAt === undefined ? undefined : drainAt - clock.now());
  const draining = () => drainAt !== undefined && clock.now() >= drainAt;
  const unfinished = () => ready.length > 0 || waiting > 0;
  try {
    while (!stop.signal.aborted && (ready.length > 0 || waiting > 0 || running.size > 0)) {
      if (draining()) break;
      const left = untilDrain();
      if (ready.length === 0 || running.size + holding >= control.concurrency()) {
        await wake.wait(left === undefined ? undefined : Math.min(60_000, left));
        continue;
      }
      const entry = ready[0]!;
      const delay = control.waitMs(entry.task.tokens);
      if (delay > 0) {
        await wake.wait(left === undefined ? delay : Math.min(delay, left));
        continue;
      }
      ready.shift();
      control.take(entry.task.tokens);
      launch(entry);
    }
    // draining: what is in flight finishes (a retry it asks for is not started), then waiting retries are dropped
    while (running.size > 0) await Promise.allSettled([...running]);
    if (draining() && unfinished() && !stop.signal.aborted) {
      stats.drained = true;
      stop.abort();
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (fatal) throw fatal.error;
  return stats;
}
