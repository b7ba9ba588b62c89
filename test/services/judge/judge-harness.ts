/** Shared set-up of the judge service tests: fixture inputs, a fake OpenAI server, a temporary cache. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetResolver } from '../../../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../../../lambdas/adapters/file-blob-store.ts';
import { OpenAIBatchClient } from '../../../lambdas/adapters/openai-batch.ts';
import { OpenAIJudgeClient } from '../../../lambdas/adapters/openai-judge-client.ts';
import { BlobJudgeCache } from '../../../lambdas/adapters/judge-cache.ts';
import { JUDGE_PRESETS, type JudgePreset } from '../../../lambdas/core/judge/presets.ts';
import { judgeRun, type JudgeRunResult } from '../../../lambdas/services/judge/judge-run.ts';
import type { JudgeTally } from '../../../lambdas/services/judge/progress.ts';
import { DEFAULT_SCHEDULER_SETTINGS, type SchedulerSettings } from '../../../lambdas/services/judge/scheduler.ts';
import { fixturePath, readFixtureText } from '../../support/fixtures.ts';
import type { FakeOpenAI } from '../../support/fake-openai.ts';

export const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
export const TEMPLATE = 'judge/alpaca_eval_clf.txt';
export const ALPACA_7B_OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';
export const ALPACA_7B_ANNOTATIONS = 'annotations/alpaca-7b.annotations.json.gz';
export const FLAGS = 'derived/is_switched_outputs.json';

export const LEADERBOARD_JUDGE: JudgePreset = JUDGE_PRESETS.weighted_alpaca_eval_gpt4_turbo!;

/** Fast retries for tests. */
export const TEST_SCHEDULER: SchedulerSettings = {
  ...DEFAULT_SCHEDULER_SETTINGS, concurrency: 32, attemptTimeoutMs: 2000, baseDelayMs: 10, maxDelayMs: 100,
};

export interface Workspace {
  cacheRoot: string;
  cleanup(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const cacheRoot = await mkdtemp(join(tmpdir(), 'aep-judge-run-'));
  return { cacheRoot, cleanup: () => rm(cacheRoot, { recursive: true, force: true }) };
}

export interface RunOptions {
  fake: FakeOpenAI;
  ws: Workspace;
  modelOutputs?: string;
  scheduler?: Partial<SchedulerSettings>;
  batch?: boolean;
  rowIndices?: number[];
  maxInstances?: number;
  name?: string;
  preset?: JudgePreset;
  apiKey?: string;
  signal?: AbortSignal;
  onProgress?: (t: Readonly<JudgeTally>) => void;
  /** Judge preflight (models check and first-row probe); default on, as in the product. */
  preflight?: boolean;
  /** The preflight's "today" (shutdown warnings); default the real date. */
  now?: Date;
}

/** Runs the judge service on the fixture eval set and template against the fake server. */
export function runJudge(o: RunOptions): Promise<JudgeRunResult> {
  const preset = o.preset ?? LEADERBOARD_JUDGE;
  const connection = { model: preset.model, apiKey: o.apiKey ?? 'sk-test', baseUrl: o.fake.baseUrl, request: preset.request };
  return judgeRun({
    assets: new AssetResolver({
      cacheDir: o.ws.cacheRoot,
      overrides: { 'eval-set': fixturePath(REFERENCE)!, 'judge-template': fixturePath(TEMPLATE)! },
    }),
    modelOutputs: { text: o.modelOutputs ?? readFixtureText(ALPACA_7B_OUTPUTS), fileName: 'model_outputs.json' },
    preset,
    name: o.name,
    maxInstances: o.maxInstances,
    rowIndices: o.rowIndices,
    client: new OpenAIJudgeClient(connection),
    cache: BlobJudgeCache.inDirectory(join(o.ws.cacheRoot, 'judge')),
    scheduler: { ...TEST_SCHEDULER, ...o.scheduler },
    batch: o.batch
      ? {
        client: new OpenAIBatchClient(connection),
        state: new FileBlobStore(join(o.ws.cacheRoot, 'judge')),
        pollIntervalMs: 5,
        maxPollIntervalMs: 20,
      }
      : undefined,
    random: Math.random,
    preflight: o.preflight === false ? false : { baseUrl: o.fake.baseUrl, ...(o.now ? { now: o.now } : {}) },
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}

/** Paid answers per prompt above one: should always be empty. */
export function judgedTwice(fake: FakeOpenAI): string[] {
  return [...fake.answered].filter(([, n]) => n > 1).map(([k]) => k);
}
