/**
 * The run manifest (`runs/<id>/manifest.json`): what a run was asked to do, with which code and assets, how long
 * each stage took, what it cost, and how it ended. Pure updates; the services read and write it.
 */
import type { RunConfig } from './run-config.ts';

/** The state machine's timeout: no execution runs longer (also what the trigger waits before distrusting a manifest). */
export const RUN_TIMEOUT_HOURS = 30;

export type StageName = 'prepare' | 'generate' | 'judge' | 'aggregate' | 'report';
export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface StageRecord {
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  startedAt?: string;
  finishedAt?: string;
  seconds?: number;
  /** Stage-specific facts (rows, cache hits, engine, …). */
  details?: Record<string, unknown>;
}

export interface AssetRecord {
  source: string;
  origin: 'flag' | 'env' | 'default';
  sha256: string;
  pinnedSha256: string | null;
  matchesPin: boolean | null;
}

export interface RunManifest {
  version: 1;
  runId: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  /** How many times the run was started (a rerun of a failed run resumes it). */
  attempts: number;
  /** The Step Functions execution (ARN) running the current attempt, when known; locally `local:<name>`. */
  execution?: string;
  config: RunConfig;
  versions: { pipeline: string; node: string; alpacaEvalCommit: string };
  assets: Record<string, AssetRecord>;
  stages: Partial<Record<StageName, StageRecord>>;
  tokens: { judgePrompt: number; judgeCompletion: number; generated: number };
  costUsd: { judge: number };
  results?: Record<string, number | string | null>;
  failure?: { stage: string; error: string; cause: string; at: string };
}

export function newManifest(args: { runId: string; config: RunConfig; versions: RunManifest['versions']; now: string }): RunManifest {
  return {
    version: 1, runId: args.runId, status: 'running', createdAt: args.now, updatedAt: args.now, attempts: 1,
    config: args.config, versions: args.versions, assets: {}, stages: {},
    tokens: { judgePrompt: 0, judgeCompletion: 0, generated: 0 }, costUsd: { judge: 0 },
  };
}

/** A rerun: back to running, one more attempt, the failure kept in history only as the stage records show. */
export function restartManifest(m: RunManifest, now: string): RunManifest {
  const { failure: _f, ...rest } = m;
  return { ...rest, status: 'running', attempts: m.attempts + 1, updatedAt: now };
}

export function startStage(m: RunManifest, stage: StageName, now: string): RunManifest {
  return { ...m, updatedAt: now, stages: { ...m.stages, [stage]: { status: 'running', startedAt: now } } };
}

export function finishStage(
  m: RunManifest,
  stage: StageName,
  now: string,
  outcome: { status?: StageRecord['status']; details?: Record<string, unknown> } = {},
): RunManifest {
  const prev: StageRecord = m.stages[stage] ?? { status: 'running' };
  const startedAt = prev.startedAt ?? now;
  const seconds = (Date.parse(now) - Date.parse(startedAt)) / 1000;
  const record: StageRecord = { ...prev, status: outcome.status ?? 'succeeded', startedAt, finishedAt: now, seconds, details: { ...prev.details, ...outcome.details } };
  return { ...m, updatedAt: now, stages: { ...m.stages, [stage]: record } };
}

/**
 * Marks the run failed with the reason (Step Functions' Error and Cause) and the stage that failed (given, else the
 * one still running) as failed.
 */
export function failManifest(m: RunManifest, failure: { stage?: string; error: string; cause: string }, now: string): RunManifest {
  const running = (Object.entries(m.stages) as [StageName, StageRecord][]).find(([, s]) => s.status === 'running')?.[0];
  const stage = failure.stage ?? running ?? 'unknown';
  let next: RunManifest = { ...m, status: 'failed', updatedAt: now, failure: { stage, error: failure.error, cause: failure.cause, at: now } };
  if (isStage(stage)) next = finishStage(next, stage, now, { status: 'failed' });
  return next;
}

const STAGES: readonly StageName[] = ['prepare', 'generate', 'judge', 'aggregate', 'report'];
function isStage(s: string): s is StageName {
  return (STAGES as readonly string[]).includes(s);
}

/** Parses a manifest read from storage (trusting our own format, checking the essentials). */
export function parseManifest(text: string, where: string): RunManifest {
  const m = JSON.parse(text) as RunManifest;
  if (m?.version !== 1 || typeof m.runId !== 'string') throw new Error(`${where}: not a run manifest (version ${String(m?.version)})`);
  return m;
}
