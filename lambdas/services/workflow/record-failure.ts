/**
 * Step "Record Failure": every caught error ends here. Writes the reason into the run manifest (creating a minimal
 * one if the run failed before Prepare wrote it), then the state machine fails with the same one-line reason.
 */
import { ALPACA_EVAL_COMMIT } from '../../core/assets-catalog.ts';
import { RUN_FILES, runPrefix } from '../../core/run/layout.ts';
import { failManifest, newManifest } from '../../core/run/manifest.ts';
import { RunConfigSchema, runIdFor, type RunConfigInput } from '../../core/run/run-config.ts';
import type { WorkflowDeps } from './deps.ts';
import { RunFolder } from './run-store.ts';
import { settleGeneration } from './generation-stage.ts';
import { publishSiteIndex } from '../report/publish-report.ts';

/** The state at the Catch: the execution input, `run` once Prepare succeeded, and `failure` = `{ Error, Cause }`. */
export interface RecordFailureEvent {
  state: {
    config?: RunConfigInput;
    runId?: string;
    run?: { runId: string };
    failure?: { Error?: string; Cause?: string };
    /** Set by the "<state> Failed" Pass state in front of this step. */
    failedStage?: string;
  };
  /** The job queue's RUNNABLE time limit (stack config), to name it when Batch cancelled a job stuck there. */
  runnableTimeoutMinutes?: number;
}

/** The reasons a job queue's JobStateTimeLimitActions name when they cancel a job stuck in RUNNABLE. */
const STUCK_RUNNABLE = /\b(CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY|MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE|MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT)\b/;

/**
 * A Batch job the queue cancelled after waiting in RUNNABLE: "no GPU capacity for N minutes, cancelled", with
 * Batch's reason code; otherwise undefined.
 */
export function stuckRunnableReason(cause: string | undefined, minutes: number | undefined): string | undefined {
  const code = STUCK_RUNNABLE.exec(describeCause(cause))?.[1];
  if (!code) return undefined;
  const waited = minutes ? `for ${minutes} minutes` : 'for the queue\'s time limit';
  const hint = code.startsWith('CAPACITY')
    ? 'no GPU instance was available (request a G/VT vCPU quota, allow more instance types or another region)'
    : 'the compute environments cannot fit the job (maxvCpus or instance types too small for it)';
  return `no GPU capacity ${waited}, cancelled: ${hint} [Batch: ${code}]`;
}

/** The human part of a Step Functions Cause: a Lambda's errorMessage, a Batch job's status reason, or the text. */
export function describeCause(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const c = JSON.parse(cause) as Record<string, unknown>;
    const container = c.Container as Record<string, unknown> | undefined;
    const msg = c.errorMessage ?? c.StatusReason ?? container?.Reason ?? c.message;
    if (typeof msg === 'string' && msg) return msg.split('\n')[0]!;
  } catch {
    // not JSON: the cause is the message
  }
  return cause.split('\n')[0]!;
}

export async function recordFailure(deps: WorkflowDeps, event: RecordFailureEvent): Promise<{ error: string; cause: string; manifest: string }> {
  const { state } = event;
  const config = configOrPlaceholder(state.config);
  const runId = state.run?.runId ?? state.runId ?? runIdFor(config);
  const run = new RunFolder(deps.store, runPrefix(runId));
  const now = deps.now().toISOString();
  const error = state.failure?.Error ?? 'Error';
  const cause = stuckRunnableReason(state.failure?.Cause, event.runnableTimeoutMinutes) ?? describeCause(state.failure?.Cause);
  if (error === 'RunInProgressError') {
    // this execution found another one working on the run: the run and its manifest are that one's, not ours
    deps.log.error('run not started: another execution holds it', { runId, cause });
    return { error, cause, manifest: run.store.locate(RUN_FILES.manifest) };
  }
  const existing = await run.manifest();
  const base = existing ?? newManifest({
    runId, config, now,
    versions: { ...deps.versions, alpacaEvalCommit: ALPACA_EVAL_COMMIT },
  });
  const settled = await settleGeneration(base, run);
  await run.writeManifest(failManifest(settled, { error, cause, ...(state.failedStage ? { stage: state.failedStage } : {}) }, now));
  deps.log.error('run failed', { runId, error, cause });
  // the report site's front page lists the run with its reason; the failure is recorded even if this cannot be
  try {
    await publishSiteIndex(deps.store);
  } catch (err) {
    deps.log.warn('could not update the report site index', { runId, error: (err as Error).message });
  }
  return { error, cause, manifest: run.store.locate('manifest.json') };
}

/** The run's config, or a placeholder when the config itself is what was invalid. */
function configOrPlaceholder(config: unknown) {
  const parsed = RunConfigSchema.safeParse(config);
  if (parsed.success) return parsed.data;
  const model = (config as { model?: unknown } | undefined)?.model;
  return RunConfigSchema.parse({ model: typeof model === 'string' && model ? model : 'invalid-config' });
}
