/**
 * Judges a set of jobs (a whole run or one chunk of it): identical outputs need no call; every distinct prompt is
 * looked up in the cache; the rest go through the Batch API (optional) and the scheduler; every success is written to
 * the cache before it counts, so a crash loses at most the answers in flight. Nothing already judged is bought twice:
 * duplicate prompts share one call and cached prompts none.
 */
import type { JudgeJob } from '../../core/judge/build-requests.ts';
import type { ChatMessage } from '../../core/judge/prompt.ts';
import { maxCompletionTokens, type JudgePreset } from '../../core/judge/presets.ts';
import type { BlobStore } from '../../ports.ts';
import { runBatchPhase } from './batch-phase.ts';
import { systemClock, type Clock } from './clock.ts';
import { cacheEntryOf, judgementFromCache, judgementFromOutcome } from './judgement.ts';
import { newJudgeTally, type JudgeTally } from './progress.ts';
import { LATE_ANSWER_GRACE_MS, newSchedulerStats, rateControlFor, runScheduled, type SchedulerSettings, type SchedulerTask } from './scheduler.ts';
import type { BatchJudgeClient, JudgeAttemptOutcome, JudgeCache, JudgeClient, KeyJudgement, RawCompletion } from './types.ts';

export interface BatchModeOptions {
  client: BatchJudgeClient;
  state: BlobStore;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
}

export interface JudgeJobsOptions {
  jobs: readonly JudgeJob[];
  preset: JudgePreset;
  client: JudgeClient;
  cache: JudgeCache;
  scheduler: SchedulerSettings;
  /** Prompt tokens of one request (TPM budget); default 0 (no TPM accounting). */
  countTokens?: (messages: readonly ChatMessage[]) => number;
  /** Submit the uncached prompts as one Batch API job first; what it leaves unanswered is retried in real time. */
  batch?: BatchModeOptions | undefined;
  clock?: Clock;
  random?: () => number;
  now?: () => Date;
  /**
   * Judge the first uncached row alone, before any other request: `check` says why its answer cannot serve the
   * parser (undefined when it can); `fail` turns that into the error that stops the run.
   */
  probe?: {
    /** Runs first, only when some row needs buying (e.g. the endpoint's models check); a fully cached rerun skips it. */
    before?: () => Promise<void>;
    check: (rawCompletion: RawCompletion) => string | undefined;
    fail: (problem: string) => Error;
  } | undefined;
  /** Called on every change of the tally (throttle it for display). */
  onProgress?: (tally: Readonly<JudgeTally>) => void;
  signal?: AbortSignal;
  /**
   * Milliseconds this call may take (a Lambda's remaining time, less what writing the result needs). No request
   * starts unless it can end within it (`scheduler.attemptTimeoutMs` plus a grace); the rows not reached by then are
   * left unjudged and counted in `tally.deferred`, for the caller to hand back. Default: no limit.
   */
  timeBudgetMs?: number;
}

export interface JudgeJobsResult {
  /** Judgements by cache key, for every non-identical job that was reached. */
  judgements: Map<string, KeyJudgement>;
  tally: JudgeTally;
}

type Success = Extract<JudgeAttemptOutcome, { ok: true }>;

/** Rows tried one by one as the preflight probe before the rest is released without one. */
const MAX_PROBES = 3;

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function judgeJobs(options: JudgeJobsOptions): Promise<JudgeJobsResult> {
  const { preset, cache } = options;
  const clock = options.clock ?? systemClock;
  const now = options.now ?? (() => new Date());
  const started = clock.now();
  const drainAt = options.timeBudgetMs === undefined ? undefined
    : started + options.timeBudgetMs - options.scheduler.attemptTimeoutMs - LATE_ANSWER_GRACE_MS;
  const tally = newJudgeTally(options.jobs.length);
  const judgements = new Map<string, KeyJudgement>();
  const report = () => {
    tally.elapsedMs = clock.now() - started;
    options.onProgress?.(tally);
  };

  // distinct prompts, with how many rows share each
  const byKey = new Map<string, { job: JudgeJob; rows: number }>();
  for (const job of options.jobs) {
    if (job.identical) {
      tally.identical++;
      continue;
    }
    const seen = byKey.get(job.key);
    if (seen) seen.rows++;
    else byKey.set(job.key, { job, rows: 1 });
  }
  report();

  const pending: string[] = [];
  await forEachLimited([...byKey.keys()], 32, async (key) => {
    const hit = await cache.get(key);
    if (hit) {
      judgements.set(key, judgementFromCache(hit, preset));
      tally.cached += byKey.get(key)!.rows;
    } else {
      pending.push(key);
    }
  });
  pending.sort((a, b) => byKey.get(a)!.job.index - byKey.get(b)!.job.index);
  report();

  const record = async (key: string, outcome: Success, via: 'api' | 'batch', attempts: number) => {
    const judgement = judgementFromOutcome({ outcome, preset, via, attempts });
    await cache.put(cacheEntryOf({ key, judgement, judgeModel: options.client.model, now: now() }));
    judgements.set(key, judgement);
    const rows = byKey.get(key)!.rows;
    tally.judged += rows;
    if (Number.isNaN(judgement.judgeOrderPreference)) tally.nan += rows;
    tally.promptTokens += judgement.usage?.prompt_tokens ?? 0;
    tally.completionTokens += judgement.usage?.completion_tokens ?? 0;
    if (judgement.costUsd === null) tally.costKnown = false;
    else tally.costUsd += judgement.costUsd;
  };
  const recordFailure = (key: string, reason: string, retryable: boolean, attempts: number) => {
    judgements.set(key, { ok: false, reason, retryable, attempts });
    tally.failed += byKey.get(key)!.rows;
  };

  const stats = newSchedulerStats();
  // one budget for the probe and the rest: the probe's request counts against the same RPM/TPM
  const control = rateControlFor(options.scheduler, clock);
  const runRealTime = async (keys: readonly string[]) => {
    tally.phase = 'real-time';
    tally.scheduler = stats;
    const tasks: SchedulerTask<Success>[] = keys.map((key) => {
      const { messages } = byKey.get(key)!.job;
      return {
        id: key,
        tokens: (options.countTokens?.(messages) ?? 0) + maxCompletionTokens(preset.request),
        attempt: async ({ signal }) => {
          const o = await options.client.complete({ messages, signal });
          if (o.ok) return { ok: true, value: o, serverLimits: o.serverLimits };
          return {
            ok: false, reason: o.reason, retryable: o.retryable, rateLimited: o.kind === 'rate-limit', retryAfterMs: o.retryAfterMs,
            serverLimits: o.serverLimits,
          };
        },
      };
    });
    await runScheduled({
      tasks,
      settings: options.scheduler,
      clock,
      random: options.random ?? Math.random,
      stats,
      onResult: async (task, r) => {
        if (r.ok) await record(task.id, r.value, 'api', r.attempts);
        else recordFailure(task.id, r.reason, r.retryable, r.attempts);
        report();
      },
      onRetry: () => report(),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(drainAt !== undefined ? { drainAt } : {}),
      control,
    });
  };
  const outOfTime = () => drainAt !== undefined && clock.now() >= drainAt;

  // the probe: the first uncached row is judged alone, and its answer must suit the parser before any other is sent.
  // A row that gets no answer is a row failure, not a verdict on the judge: the next row probes, up to MAX_PROBES.
  let rest = pending;
  if (options.probe && pending.length > 0) {
    await options.probe.before?.();
    for (let tries = 0; tries < MAX_PROBES && rest.length > 0 && !options.signal?.aborted && !outOfTime(); tries++) {
      const [first, ...others] = rest;
      rest = others;
      await runRealTime([first!]);
      const j = judgements.get(first!);
      if (!j?.ok) continue;
      const problem = options.probe.check(j.rawCompletion);
      if (problem !== undefined) throw options.probe.fail(problem);
      break;
    }
  }

  let realTime = rest;
  if (options.batch && rest.length > 0) {
    tally.phase = 'batch';
    const phase = await runBatchPhase({
      requests: rest.map((key) => ({ key, messages: byKey.get(key)!.job.messages })),
      client: options.batch.client,
      state: options.batch.state,
      clock,
      pollIntervalMs: options.batch.pollIntervalMs,
      maxPollIntervalMs: options.batch.maxPollIntervalMs,
      onStatus: (s) => {
        tally.batch = { id: s.batchId, status: s.status, completed: s.counts.completed, total: s.counts.total };
        report();
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    realTime = [];
    for (const key of rest) {
      const o = phase.outcomes.get(key)!;
      if (o.ok) await record(key, o, 'batch', 1);
      else if (o.retryable) realTime.push(key);
      else recordFailure(key, o.reason, false, 1);
    }
    tally.batchRetried = realTime.length;
    report();
  }

  await runRealTime(realTime);
  if (drainAt !== undefined) {
    for (const [key, { rows }] of byKey) if (!judgements.has(key)) tally.deferred += rows;
  }
  if (options.signal?.aborted) {
    throw options.signal.reason instanceof Error ? options.signal.reason : new Error('the judge run was stopped');
  }
  tally.phase = 'done';
  report();
  return { judgements, tally };
}
