import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCHEDULER_SETTINGS, runScheduled, type AttemptResult, type SchedulerSettings, type SchedulerTask, type TaskResult,
} from '../../../lambdas/services/judge/scheduler.ts';
import { VirtualClock } from './virtual-clock.ts';

type Script = (attempt: number, clock: VirtualClock, signal: AbortSignal) => Promise<AttemptResult<string>>;

interface Log {
  starts: { id: string; at: number; attempt: number }[];
  results: Map<string, TaskResult<string> & { at: number }>;
  maxInFlight: number;
}

/** Runs `n` tasks with a per-task script on virtual time. */
async function run(options: { n: number; script: Script; settings?: Partial<SchedulerSettings>; tokens?: number }) {
  const clock = new VirtualClock();
  const log: Log = { starts: [], results: new Map(), maxInFlight: 0 };
  let inFlight = 0;
  const tasks: SchedulerTask<string>[] = Array.from({ length: options.n }, (_, i) => ({
    id: `t${i}`,
    tokens: options.tokens ?? 0,
    attempt: async ({ signal, attempt }) => {
      log.starts.push({ id: `t${i}`, at: clock.now(), attempt });
      inFlight++;
      log.maxInFlight = Math.max(log.maxInFlight, inFlight);
      try {
        return await options.script(attempt, clock, signal);
      } finally {
        inFlight--;
      }
    },
  }));
  const settings = { ...DEFAULT_SCHEDULER_SETTINGS, ...options.settings };
  const stats = await clock.run(runScheduled({
    tasks, settings, clock, random: () => 0,
    onResult: (task, r) => void log.results.set(task.id, { ...r, at: clock.now() }),
  }));
  return { log, stats, end: clock.now() };
}

const ok = (latencyMs: number): Script => async (_a, clock) => {
  await clock.sleep(latencyMs);
  return { ok: true, value: 'done' };
};

describe('scheduler', () => {
  describe('runScheduled', () => {
    it('keeps at most `concurrency` attempts in flight and finishes every task once', async () => {
      // Act
      const { log, end } = await run({ n: 100, script: ok(300), settings: { concurrency: 8 } });
      // Assess
      expect(log.maxInFlight).toBe(8);
      expect(log.results.size).toBe(100);
      expect(log.starts).toHaveLength(100);
      expect(end).toBe(Math.ceil(100 / 8) * 300);
    });

    it('spaces requests to the RPM budget after a quarter-second burst', async () => {
      // Act: 1200 RPM = 20/s with a burst of 5
      const { log, end } = await run({ n: 60, script: ok(0), settings: { concurrency: 50, rpm: 1200 } });
      // Assess
      const at = log.starts.map((s) => s.at);
      expect(at.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
      for (let i = 5; i < at.length; i++) expect(at[i]).toBeCloseTo((i - 4) * 50, 6);
      expect(end).toBeCloseTo(55 * 50, 6);
    });

    it('spaces requests to the TPM budget using each task\'s token estimate, above-burst requests needing a full bucket', async () => {
      // Act: 60,000 TPM = 1,000 tokens/s with a 250-token burst; 500 tokens per request → one every 0.5 s
      const { log } = await run({ n: 6, script: ok(0), tokens: 500, settings: { concurrency: 8, tpm: 60_000 } });
      // Assess
      expect(log.starts.map((s) => s.at)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    });

    it('honours retry-after on 429 for everyone and counts one burst of 429s as one slow-down', async () => {
      // Prepare: the first wave (16 attempts started at t=0) is rate limited with retry-after 2 s, then all succeed
      const script: Script = async (_attempt, clock) => {
        const startedAt = clock.now();
        await clock.sleep(100);
        return startedAt === 0
          ? { ok: false, reason: '429', retryable: true, rateLimited: true, retryAfterMs: 2000 }
          : { ok: true, value: 'done' };
      };
      // Act
      const { log, stats } = await run({ n: 64, script, settings: { concurrency: 16 } });
      // Assess: nothing starts again before t=2100; then at most 8 at once (halved)
      const later = log.starts.filter((s) => s.at > 0);
      expect(Math.min(...later.map((s) => s.at))).toBeGreaterThanOrEqual(2100);
      expect(later.filter((s) => s.at === Math.min(...later.map((x) => x.at)))).toHaveLength(8);
      expect(stats.rateLimited).toBe(16);
      expect(stats.slowdowns).toBe(1);
      expect(log.results.size).toBe(64);
      expect([...log.results.values()].every((r) => r.ok)).toBe(true);
    });

    it('reduces effective concurrency when 429s are a fifth of recent answers and grows it back with successes', async () => {
      // Prepare: 8 of the first wave of 16 get a 429 (8 of a 32-answer window: 25 %), then only successes
      let limited = 0;
      const script: Script = async (_a, clock) => {
        await clock.sleep(100);
        if (limited < 8) {
          limited++;
          return { ok: false, reason: '429', retryable: true, rateLimited: true };
        }
        return { ok: true, value: 'done' };
      };
      const clock = new VirtualClock();
      const inFlightAt: number[] = [];
      let inFlight = 0;
      const tasks: SchedulerTask<string>[] = Array.from({ length: 400 }, (_, i) => ({
        id: `t${i}`, tokens: 0,
        attempt: async (ctx) => {
          inFlight++;
          inFlightAt.push(inFlight);
          try {
            return await script(ctx.attempt, clock, ctx.signal);
          } finally {
            inFlight--;
          }
        },
      }));
      // Act
      await clock.run(runScheduled({
        tasks, settings: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 16 }, clock, random: () => 0, onResult: () => undefined,
      }));
      // Assess: right after the 429 the limit drops to 8 (+1 per round of successes), and ends back at 16
      expect(Math.max(...inFlightAt.slice(16, 40))).toBeLessThanOrEqual(10);
      expect(Math.max(...inFlightAt.slice(-100))).toBe(16);
    });

    it('only pauses for a lone 429 (no slow-down) and spreads the retries of a crowd told the same short wait', async () => {
      // Prepare: t0's first attempt is rate limited with retry-after 10 ms
      const script: Script = async (attempt, clock) => {
        await clock.sleep(100);
        return attempt === 1 && clock.now() === 100
          ? { ok: false, reason: '429', retryable: true, rateLimited: true, retryAfterMs: 10 }
          : { ok: true, value: 'done' };
      };
      // Act
      const lone = await run({ n: 1, script, settings: { concurrency: 4 } });
      const crowd = await run({ n: 8, script, settings: { concurrency: 8, baseDelayMs: 400 } });
      // Assess: the lone one waits max(10 ms, backoff 250/2) and nothing slows down
      expect(lone.stats.slowdowns).toBe(0);
      expect(lone.log.starts.map((x) => x.at)).toEqual([0, 225]);
      expect(crowd.stats.slowdowns).toBe(1);
      expect(Math.min(...crowd.log.starts.filter((x) => x.attempt === 2).map((x) => x.at))).toBeGreaterThanOrEqual(300);
    });

    it('treats sparse 429s (one answer in 20) as noise: no slow-down, no pause for the others', async () => {
      // Prepare: every 20th attempt overall gets a 429 with retry-after 1 s; each answer takes 100 ms
      let n = 0;
      const script: Script = async (_a, clock) => {
        await clock.sleep(100);
        n++;
        return n % 20 === 0
          ? { ok: false, reason: '429', retryable: true, rateLimited: true, retryAfterMs: 1000 }
          : { ok: true, value: 'done' };
      };
      // Act
      const { log, stats, end } = await run({ n: 400, script, settings: { concurrency: 16 } });
      // Assess: ~21 429s, none cut; others keep starting during each told wait (the first 429 arrives at t=200)
      expect(stats.rateLimited).toBeGreaterThanOrEqual(20);
      expect(stats.slowdowns).toBe(0);
      expect(log.results.size).toBe(400);
      for (let t = 300; t < 1200; t += 100) expect(log.starts.filter((s) => s.at === t).length).toBeGreaterThan(0);
      // bound: 420 attempts of 100 ms plus 21 slots held 1 s each over 16 slots, plus two waits at the tail
      expect(end).toBeLessThanOrEqual((420 * 100 + 21 * 1000) / 16 + 2 * 1100);
    });

    it('spends the remaining requests the server reports and waits for its refill when none are left', async () => {
      // Prepare: the server says 3 requests are left of 10, refilled in 700 ms (10 per second), on every answer
      const script: Script = async (_a, clock) => {
        await clock.sleep(10);
        return { ok: true, value: 'done', serverLimits: { limitRequests: 10, remainingRequests: 0, resetRequestsMs: 1000 } };
      };
      // Act
      const { log } = await run({ n: 6, script, settings: { concurrency: 16 } });
      // Assess: the first 6 start at once (nothing known yet); later answers say 0 left: no more requests needed here
      expect(log.starts.map((s) => s.at)).toEqual([0, 0, 0, 0, 0, 0]);
      // Act: one at a time, each answer saying nothing is left with a refill of 10 per second → one every 100 ms
      const paced = await run({ n: 5, script, settings: { concurrency: 1 } });
      // Assess
      expect(paced.log.starts.map((s) => s.at)).toEqual([0, 110, 220, 330, 440]);
    });

    it('does not count 429s against maxAttempts but gives up after maxRateLimitedAttempts of them', async () => {
      // Prepare: 429 on every attempt of t0, a 500 before that once
      const script: Script = async (attempt) => (attempt === 1
        ? { ok: false, reason: 'HTTP 500', retryable: true }
        : { ok: false, reason: 'HTTP 429: slow down', retryable: true, rateLimited: true });
      // Act
      const { log } = await run({ n: 1, script, settings: { maxAttempts: 2, maxRateLimitedAttempts: 5, baseDelayMs: 1 } });
      // Assess: 1 failure + 5 rate-limited attempts
      expect(log.starts).toHaveLength(6);
      expect(log.results.get('t0')).toMatchObject({ ok: false, attempts: 6, reason: 'HTTP 429: slow down (gave up after 6 attempts)' });
    });

    it('backs off exponentially on retryable failures and gives up after maxAttempts with the reason', async () => {
      // Prepare
      const script: Script = async () => ({ ok: false, reason: 'HTTP 500: boom', retryable: true });
      // Act
      const { log } = await run({ n: 1, script, settings: { maxAttempts: 4, baseDelayMs: 400, maxDelayMs: 10_000 } });
      // Assess: random() = 0 → delays c/2 with c = 400, 800, 1600
      expect(log.starts.map((s) => s.at)).toEqual([0, 200, 600, 1400]);
      expect(log.results.get('t0')).toMatchObject({
        ok: false, retryable: true, attempts: 4, reason: 'HTTP 500: boom (gave up after 4 attempts)',
      });
    });

    it('records a non-retryable failure at once', async () => {
      // Act
      const { log } = await run({ n: 1, script: async () => ({ ok: false, reason: 'too long', retryable: false }) });
      // Assess
      expect(log.starts).toHaveLength(1);
      expect(log.results.get('t0')).toMatchObject({ ok: false, retryable: false, attempts: 1, reason: 'too long' });
    });

    it('times out a hung attempt, aborts its signal and retries it', async () => {
      // Prepare
      const aborted: boolean[] = [];
      const script: Script = async (attempt, clock, signal) => {
        if (attempt === 1) {
          await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
          aborted.push(signal.aborted);
          return { ok: false, reason: 'cancelled', retryable: true };
        }
        await clock.sleep(10);
        return { ok: true, value: 'late but fine' };
      };
      // Act
      const { log, stats } = await run({ n: 1, script, settings: { attemptTimeoutMs: 5000, baseDelayMs: 100 } });
      // Assess
      expect(aborted).toEqual([true]);
      expect(stats.timeouts).toBe(1);
      expect(log.starts.map((s) => s.at)).toEqual([0, 5050]);
      expect(log.results.get('t0')).toMatchObject({ ok: true, attempts: 2 });
    });

    it('puts retries ahead of tasks that have not started', async () => {
      // Prepare: t0 fails once; with concurrency 1 its retry must run before t2, t3, …
      const failedOnce = new Set<number>();
      const clock = new VirtualClock();
      const order: string[] = [];
      const tasks: SchedulerTask<string>[] = Array.from({ length: 5 }, (_, i) => ({
        id: `t${i}`, tokens: 0,
        attempt: async () => {
          order.push(`t${i}`);
          await clock.sleep(100);
          if (i === 0 && !failedOnce.has(i)) {
            failedOnce.add(i);
            return { ok: false, reason: '500', retryable: true };
          }
          return { ok: true, value: 'x' };
        },
      }));
      // Act
      await clock.run(runScheduled({
        tasks, settings: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 1, baseDelayMs: 50 }, clock, random: () => 0,
        onResult: () => undefined,
      }));
      // Assess: t1 starts while t0 waits 25 ms; t0's retry comes right after t1
      expect(order).toEqual(['t0', 't1', 't0', 't2', 't3', 't4']);
    });

    it('drains at `drainAt`: nothing starts after it, in-flight attempts finish with their results, the rest get none', async () => {
      // Prepare: 300 ms answers, 4 in flight; every third task fails once (retryable) and would retry after 250 ms
      const clock = new VirtualClock();
      const starts: number[] = [];
      const results = new Map<string, number>();
      const tasks: SchedulerTask<string>[] = Array.from({ length: 40 }, (_, i) => ({
        id: `t${i}`, tokens: 0,
        attempt: async ({ signal, attempt }) => {
          starts.push(clock.now());
          await clock.sleep(300, signal);
          return i % 3 === 0 && attempt === 1 ? { ok: false, reason: '500', retryable: true } : { ok: true, value: 'x' };
        },
      }));
      // Act
      const stats = await clock.run(runScheduled({
        tasks, settings: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 4, baseDelayMs: 250, maxDelayMs: 250 }, clock, random: () => 0.5,
        onResult: (t) => void results.set(t.id, clock.now()), drainAt: 1000,
      }));
      // Assess: starts at 0, 300, 600, 900 (4 each, the last wave in flight at the drain) and none after
      expect(Math.max(...starts)).toBeLessThan(1000);
      expect(starts.filter((t) => t === 900).length).toBeGreaterThan(0);
      expect(clock.now()).toBe(1200); // the wave started at 900 finished and was recorded
      expect([...results.values()].filter((t) => t === 1200).length).toBeGreaterThan(0);
      expect(results.size).toBeLessThan(40);
      expect(results.size).toBeGreaterThan(8);
      expect(stats.drained).toBe(true);
      // without a drain every task ends
      const full = await clock.run(runScheduled({
        tasks, settings: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 4 }, clock, random: () => 0.5, onResult: () => undefined, drainAt: clock.now() + 1e9,
      }));
      expect(full.drained).toBe(false);
    });

    it('stops when the caller aborts: in-flight attempts are cancelled and unfinished tasks get no result', async () => {
      // Prepare
      const clock = new VirtualClock();
      const ac = new AbortController();
      const results: string[] = [];
      const tasks: SchedulerTask<string>[] = Array.from({ length: 10 }, (_, i) => ({
        id: `t${i}`, tokens: 0,
        attempt: async ({ signal }) => {
          await clock.sleep(100 * (i + 1), signal);
          if (i === 2) ac.abort();
          return signal.aborted ? { ok: false, reason: 'cancelled', retryable: true } : { ok: true, value: 'x' };
        },
      }));
      // Act
      await clock.run(runScheduled({
        tasks, settings: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 4 }, clock, random: () => 0,
        onResult: (t) => void results.push(t.id), signal: ac.signal,
      }));
      // Assess: t2 aborts the run (and itself); t3 and t4 are cancelled in flight; t5… never start
      expect(results).toEqual(['t0', 't1']);
      expect(clock.now()).toBe(300);
    });

    it('stops on a thrown run-level error: cancels in-flight attempts, keeps earlier results, rethrows', async () => {
      // Prepare
      const clock = new VirtualClock();
      const results: string[] = [];
      const cancelled: string[] = [];
      const tasks: SchedulerTask<string>[] = Array.from({ length: 20 }, (_, i) => ({
        id: `t${i}`, tokens: 0,
        attempt: async ({ signal }) => {
          if (i === 5) {
            await clock.sleep(150);
            throw new Error('401 bad key');
          }
          await clock.sleep(i < 4 ? 100 : 1000, signal);
          if (signal.aborted) {
            cancelled.push(`t${i}`);
            return { ok: false, reason: 'cancelled', retryable: true };
          }
          return { ok: true, value: 'x' };
        },
      }));
      // Act
      const err = await clock.run(runScheduled({
        tasks, settings: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 8 }, clock, random: () => 0,
        onResult: (t) => void results.push(t.id),
      })).catch((e: unknown) => e);
      // Assess
      expect((err as Error).message).toBe('401 bad key');
      expect(results).toEqual(['t0', 't1', 't2', 't3']);
      expect(cancelled.sort()).toEqual(['t10', 't11', 't4', 't6', 't7', 't8', 't9']);
    });
  });
});
