/**
 * A local workflow on real loopback servers: S3 (moto), an OpenAI-compatible engine and judge. Runs the stack's
 * synthesised state machine with the real step code, as `aep run` does, but in-process so tests can inspect it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import type { RunConfigInput } from '../../lambdas/core/run/run-config.ts';
import { runGenerator } from '../../containers/generator/run.ts';
import { localDeps } from '../../infra/local/local-deps.ts';
import { runLocal, type GenerationJob, type LocalLambdaSource, type LocalRunResult } from '../../infra/local/run-local.ts';
import { synthLocalDefinition } from '../../infra/local/definition.ts';
import type { ExecutionState } from '../../lambdas/services/workflow/run-lease.ts';
import { fixturePath } from '../support/fixtures.ts';
import { createTestBucket, motoClient, type MotoServer } from '../support/moto.ts';

export const MODEL = 'W-61/hh-llama32-1b-sft';
export const FIXTURES = [
  'reference/gpt4_1106_preview.model_outputs.json', 'judge/alpaca_eval_clf.txt', 'standin/df_gamed.csv',
  'standin/instruction_difficulty.csv', 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv',
];

let definition: ReturnType<typeof synthLocalDefinition> | undefined;

export async function newBucket(moto: MotoServer): Promise<string> {
  const client = motoClient(moto);
  try {
    return await createTestBucket(client, 'aep-wf');
  } finally {
    client.destroy();
  }
}

/** The same fixture assets as `aep run` flags. */
export function assetFlags(): string[] {
  const o = assetOverrides();
  return ['--eval-set', o.evalSet!, '--judge-template', o.judgeTemplate!, '--gamed', o.gamed!,
    '--instruction-difficulty', o.instructionDifficulty!, '--leaderboard', o.leaderboard!];
}

export function assetOverrides() {
  return {
    evalSet: fixturePath(FIXTURES[0]!), judgeTemplate: fixturePath(FIXTURES[1]!), gamed: fixturePath(FIXTURES[2]!),
    instructionDifficulty: fixturePath(FIXTURES[3]!), leaderboard: fixturePath(FIXTURES[4]!),
  };
}

export interface HarnessRun {
  result: LocalRunResult;
  states: { type: string; state: string; index?: number; error?: string }[];
}

export async function runWorkflow(options: {
  moto: MotoServer;
  bucket: string;
  config: RunConfigInput;
  engineBaseUrl: string;
  cacheDir?: string;
  /** Run the Lambda tasks from these (e.g. the shipped bundles) instead of the sources. */
  lambdas?: LocalLambdaSource;
  /** Stands in for the Batch task instead of running the generator (e.g. a job Batch cancelled). */
  generate?: (job: GenerationJob) => Promise<void>;
  /** The Lambda functions' timeout (each invocation's remaining time counts down from it); default none. */
  lambdaTimeoutMs?: number;
  /** The execution's id (the run's lease holder) and how Prepare learns whether another holder still runs. */
  executionId?: string;
  executionState?: (execution: string) => Promise<ExecutionState>;
  /** As the cloud's Prepare: an open-weights judge runs as the GPU judge job, which this stands in for. */
  judgeJob?: (job: GenerationJob, env: Record<string, string>) => Promise<void>;
}): Promise<HarnessRun> {
  definition ??= synthLocalDefinition();
  const env = { ...options.moto.env, OPENAI_API_KEY: 'sk-test', AEP_OFFLINE: '1' };
  const store = openBlobStore(`s3://${options.bucket}/`, { env });
  const cacheDir = options.cacheDir ?? (await mkdtemp(join(tmpdir(), 'aep-wf-cache-')));
  const deps = {
    ...localDeps({ store, cacheDir, env, version: 'test', log: { info: () => {}, warn: () => {}, error: () => {} } }), judgeScheduler: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 },
    ...(options.executionState ? { executionState: options.executionState } : {}),
    ...(options.judgeJob ? { judgeOnGpuJob: true } : {}),
  };
  const states: HarnessRun['states'] = [];
  const result = await runLocal({
    input: { config: options.config }, deps, definition, ...(options.lambdas ? { lambdas: options.lambdas } : {}), waitMs: 0, retryIntervalMs: 0,
    ...(options.lambdaTimeoutMs !== undefined ? { lambdaTimeoutMs: options.lambdaTimeoutMs } : {}),
    ...(options.executionId !== undefined ? { executionId: options.executionId } : {}),
    ...(options.judgeJob ? { judgeJob: (job: GenerationJob) => options.judgeJob!(job, { ...env, AEP_CACHE_DIR: cacheDir }) } : {}),
    generate: options.generate ?? (async (job) => {
      const lines: string[] = [];
      const code = await runGenerator({ env: { ...env, ...job.environment, AEP_CACHE_DIR: cacheDir, PROGRESS_INTERVAL_S: '3600' }, out: () => {}, err: (t) => lines.push(t), engine: { baseUrl: options.engineBaseUrl } });
      if (code !== 0) throw Object.assign(new Error(lines.join('').trim().split('\n').at(-1) ?? `exit ${code}`), { name: 'GenerationFailed' });
    }),
    onState: (e) => states.push(e),
  });
  return { result, states };
}

export async function readJson<T>(moto: MotoServer, bucket: string, key: string): Promise<T | undefined> {
  const body = await openBlobStore(`s3://${bucket}/`, { env: moto.env }).get(key);
  return body === undefined ? undefined : (JSON.parse(body.toString('utf8')) as T);
}

export async function listKeys(moto: MotoServer, bucket: string, prefix: string): Promise<string[]> {
  return openBlobStore(`s3://${bucket}/`, { env: moto.env }).list(prefix);
}
