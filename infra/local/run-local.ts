/**
 * Runs the stack's state machine on this machine: the synthesised definition, executed by aws-local-stepfunctions,
 * with every Task bound to the same step code the Lambdas run and the Batch task bound to a local generation
 * function that receives exactly the environment the container would. Storage is whatever the deps' store is
 * (a directory, or any S3 endpoint).
 *
 * The Lambda tasks run the sources by default; `lambdas` may bind them to other code instead, by the function each
 * Task invokes (tests bind the bundles the stack ships, `test/support/shipped.ts`).
 */
import './polyfills.ts';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { RunConfigInput } from '../../lambdas/core/run/run-config.ts';
import { aggregateRun } from '../../lambdas/services/workflow/aggregate-run.ts';
import { judgeBatchStep, type JudgeBatchEvent } from '../../lambdas/services/workflow/judge-batch-step.ts';
import { chunkTimeBudgetMs, judgeChunkStep, type JudgeChunkEvent, type JudgeDeps } from '../../lambdas/services/workflow/judge-step.ts';
import { prepareRun, type PrepareEvent } from '../../lambdas/services/workflow/prepare-run.ts';
import { recordFailure, type RecordFailureEvent } from '../../lambdas/services/workflow/record-failure.ts';
import { renderReportStep, type ReportEvent } from '../../lambdas/services/workflow/render-report.ts';
import type { AggregateEvent } from '../../lambdas/services/workflow/aggregate-run.ts';
import { STATES } from '../workflow-states.ts';
import { loadLocalDefinition, type LocalDefinition } from './load-definition.ts';

/** What the Batch job would get: its container environment overrides. */
export interface GenerationJob {
  jobName: string;
  environment: Record<string, string>;
}

/** The Lambda context a local invocation gets: what the handlers read. */
export interface LocalLambdaContext {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis?: () => number;
}

/** A Lambda handler as the runtime calls it: the Task's payload in, its result out, a throw for a failure. */
export type LocalLambda = (event: unknown, context?: LocalLambdaContext) => Promise<unknown>;

/** Code for a Lambda Task: given the function ARN of its `Resource` and the state name. */
export type LocalLambdaSource = (functionArn: string, stateName: string) => LocalLambda;

export interface LocalRunOptions {
  input: { config: RunConfigInput; runId?: string };
  /** The execution's id (`$$.Execution.Id`, which Prepare records and leases the run with); default `local:<run id>`. */
  executionId?: string;
  /** What the step sources run with (required unless `lambdas` is given). */
  deps?: JudgeDeps;
  /** Runs generation for the job (the local stand-in for the GPU container); throws on failure. */
  generate(job: GenerationJob): Promise<void>;
  /** Runs the GPU judge job (the local stand-in for `containers/judge/`) for runs whose judge mode is `engine`. */
  judgeJob?(job: GenerationJob): Promise<void>;
  definition?: LocalDefinition;
  /** Where the Lambda tasks' code comes from: the step sources bound to `deps` (default), or this. */
  lambdas?: LocalLambdaSource;
  /**
   * The Lambda functions' timeout, as deployed: each invocation gets a context whose remaining time counts down from
   * it (a Judge Chunk then stops in time and hands its rows back). Default: no limit (a local process has none).
   */
  lambdaTimeoutMs?: number;
  /** Milliseconds for every Wait state (default: as defined) and every retry interval (default: as defined). */
  waitMs?: number;
  retryIntervalMs?: number;
  /** State transitions, for progress output. */
  onState?: (event: { type: 'entered' | 'exited' | 'failed' | 'retried' | 'caught'; state: string; index?: number; error?: string }) => void;
}

export type LocalRunResult =
  | { status: 'SUCCEEDED'; output: Record<string, unknown> }
  | { status: 'FAILED'; error: string; cause: string };

type Json = Parameters<StateMachine['run']>[0];

function jobOf(params: Record<string, unknown>): GenerationJob {
  const overrides = params.ContainerOverrides as { Environment?: { Name: string; Value: string }[] } | undefined;
  const environment = Object.fromEntries((overrides?.Environment ?? []).map((e) => [e.Name, e.Value]));
  return { jobName: String(params.JobName), environment };
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const { definition } = options.definition ?? await loadLocalDefinition();
  const lambdas = options.lambdas;
  if (!lambdas && !options.deps) throw new Error('runLocal needs deps to run the step sources, or lambdas');
  const deps = options.deps!;
  const timeout = options.lambdaTimeoutMs;
  const contextOf = (state: string): LocalLambdaContext => {
    const started = Date.now();
    return { awsRequestId: `local-${started}`, functionName: state, ...(timeout !== undefined ? { getRemainingTimeInMillis: () => started + timeout - Date.now() } : {}) };
  };
  const as = <E>(fn: (event: E, context: LocalLambdaContext) => Promise<unknown>, state: string) => async (input: Json) => (await fn(input as E, contextOf(state))) as Json;
  const sources: Record<string, (input: Json) => Promise<Json>> = {
    [STATES.prepare]: as((e: PrepareEvent) => prepareRun(deps, e), STATES.prepare),
    [STATES.judgeChunk]: as((e: JudgeChunkEvent, c) => judgeChunkStep(deps, e, c.getRemainingTimeInMillis ? { timeBudgetMs: chunkTimeBudgetMs(c.getRemainingTimeInMillis()) } : {}), STATES.judgeChunk),
    [STATES.submitBatch]: as((e: JudgeBatchEvent) => judgeBatchStep(deps, e), STATES.submitBatch),
    [STATES.checkBatch]: as((e: JudgeBatchEvent) => judgeBatchStep(deps, e), STATES.checkBatch),
    [STATES.aggregate]: as((e: AggregateEvent) => aggregateRun(deps, e), STATES.aggregate),
    [STATES.report]: as((e: ReportEvent) => renderReportStep(deps, e), STATES.report),
    [STATES.recordFailure]: as((e: RecordFailureEvent) => recordFailure(deps, e), STATES.recordFailure),
  };
  const handlers: Record<string, (input: Json) => Promise<Json>> = {
    ...(lambdas ? Object.fromEntries(lambdaTasks(definition).map(([state, arn]) => [state, as(lambdas(arn, state), state)])) : sources),
    [STATES.generate]: async (input: Json) => {
      const job = jobOf(input as Record<string, unknown>);
      await options.generate(job);
      return { JobId: `local-${job.jobName}`, Status: 'SUCCEEDED' } as Json;
    },
    [STATES.judgeOnGpu]: async (input: Json) => {
      const job = jobOf(input as Record<string, unknown>);
      if (!options.judgeJob) throw Object.assign(new Error('no GPU judge job here: judge an open-weights preset locally with --judge-engine vllm or --judge-base-url'), { name: 'JudgeJobUnavailable' });
      await options.judgeJob(job);
      return { JobId: `local-${job.jobName}`, Status: 'SUCCEEDED' } as Json;
    },
  };
  const waits: Record<string, number> = options.waitMs === undefined ? {} : { [STATES.waitBatch]: options.waitMs };
  const retries = options.retryIntervalMs === undefined ? {} : Object.fromEntries([STATES.prepare, STATES.judgeChunk, STATES.aggregate, STATES.report, STATES.recordFailure, STATES.submitBatch, STATES.checkBatch].map((s) => [s, options.retryIntervalMs!]));
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(options.input as Json, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: { Execution: { Name: options.input.runId ?? 'local', Id: options.executionId ?? `local:${options.input.runId ?? 'local'}` } } as never,
  });
  const watching = watch(execution.eventLogs, options.onState);
  try {
    const output = (await execution.result) as Record<string, unknown>;
    await watching;
    return { status: 'SUCCEEDED', output };
  } catch (err) {
    await watching.catch(() => undefined);
    if (err instanceof ExecutionError) {
      // the cause is the Fail state's error: its name is the Error, its message the Cause
      const fail = (err as Error & { cause?: Error }).cause;
      return { status: 'FAILED', error: fail?.name ?? 'Error', cause: fail?.message ?? err.message };
    }
    throw err;
  }
}

/** Every Task state that invokes a Lambda function (Map item processors included): [state name, function ARN]. */
export function lambdaTasks(definition: Record<string, unknown>): [string, string][] {
  const found: [string, string][] = [];
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && typeof state.Resource === 'string' && state.Resource.startsWith('arn:aws:lambda:')) found.push([name, state.Resource]);
      const inner = (state.ItemProcessor ?? state.Iterator) as { States?: Record<string, Record<string, unknown>> } | undefined;
      if (inner?.States) visit(inner.States);
      for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) visit(branch.States);
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  return found;
}

async function watch(logs: AsyncGenerator<unknown>, onState: LocalRunOptions['onState']): Promise<void> {
  for await (const raw of logs) {
    if (!onState) continue;
    const e = raw as { type: string; state?: { name: string }; index?: number; Error?: string; error?: string; Cause?: string };
    const map: Record<string, 'entered' | 'exited' | 'failed' | 'retried' | 'caught'> = {
      StateEntered: 'entered', StateExited: 'exited', StateFailed: 'failed', StateRetried: 'retried', StateCaught: 'caught',
    };
    const type = map[e.type];
    if (type && e.state) onState({ type, state: e.state.name, ...(e.index !== undefined ? { index: e.index } : {}), ...(e.Error ? { error: `${e.Error}: ${e.Cause ?? ''}` } : {}) });
  }
}
