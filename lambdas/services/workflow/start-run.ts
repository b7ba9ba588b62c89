/**
 * Starting runs from triggers: a checkpoint's `READY` marker in S3, or the schedule asking the model source for its
 * newest revision. The run id is derived from model + revision + config, so a checkpoint is evaluated (and paid
 * for) once: a run that succeeded or is running is not started again; a failed one is resumed.
 *
 * "Running" is checked against Step Functions, not taken from the manifest: an execution that was aborted, timed
 * out or died before its Record Failure step leaves the manifest `running` forever. The trigger asks for the real
 * status of the execution the manifest names (`DescribeExecution`) and takes the run over (marks it failed with the
 * reason, starts the next attempt) when that execution has ended.
 */
import { runPrefix } from '../../core/run/layout.ts';
import { failManifest, RUN_TIMEOUT_HOURS, type RunManifest } from '../../core/run/manifest.ts';
import { RunConfigSchema, runIdFor, type RunConfig, type RunConfigInput } from '../../core/run/run-config.ts';
import type { BlobStore, LogPort } from '../../ports.ts';
import { RunFolder } from './run-store.ts';

/** Step Functions' execution statuses (`DescribeExecution`). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Starts executions of the deployed state machine, and tells how one is doing. */
export interface ExecutionStarter {
  /** Starts `name`; returns false when an execution of that name already exists. */
  start(name: string, input: { runId: string; config: RunConfigInput }): Promise<boolean>;
  /** The ARN of this state machine's execution called `name`. */
  executionArn(name: string): string;
  /** The execution's status, or undefined when there is no such execution (never started, or its history expired). */
  status(executionArn: string): Promise<ExecutionStatus | undefined>;
}

/** Where the stack's model lives. */
export type ModelSource = { kind: 'huggingface'; repo: string; revision: string } | { kind: 's3'; name: string };

export interface TriggerDeps {
  store: BlobStore;
  bucket: string;
  starter: ExecutionStarter;
  /** The newest commit of a Hugging Face repo's branch. */
  huggingFaceRevision(repo: string, branch: string): Promise<string>;
  log: LogPort;
  /** The clock (default: the system's). */
  now?: () => Date;
}

export interface TriggerSettings {
  modelSource: ModelSource;
  modelName?: string;
  /** Run settings applied to every triggered run (generation, judge). */
  base: Omit<RunConfigInput, 'model'>;
}

export type TriggerOutcome =
  | { action: 'started' | 'resumed'; runId: string; executionName: string }
  | { action: 'taken-over'; runId: string; executionName: string; previous: { execution: string; status: ExecutionStatus | 'not found' } }
  | { action: 'skipped'; runId: string; reason: string };

/** An EventBridge "Object Created" event for `checkpoints/<name>/[<id>/]READY`. */
export interface CheckpointEvent {
  detail: { bucket: { name: string }; object: { key: string; etag?: string; 'version-id'?: string } };
}

export function configForCheckpoint(event: CheckpointEvent, settings: TriggerSettings): RunConfig {
  const key = event.detail.object.key;
  const parts = key.split('/');
  if (parts[0] !== 'checkpoints' || parts.at(-1) !== 'READY' || parts.length < 3) throw new Error(`not a checkpoint marker: ${key}`);
  const name = parts[1]!;
  const folder = parts.slice(0, -1).join('/');
  const revision = parts.length > 3 ? parts.slice(2, -1).join('-') : event.detail.object['version-id'] ?? event.detail.object.etag ?? 'ready';
  return RunConfigSchema.parse({
    ...settings.base, model: name, name: settings.modelName ?? name, revision,
    modelUri: `s3://${event.detail.bucket.name}/${folder}/`,
  });
}

/** The newest checkpoint folder with a READY marker (natural order of folder names, so step-900 < step-1000). */
export async function newestCheckpoint(store: BlobStore, name: string): Promise<string | undefined> {
  const ready = (await store.list(`checkpoints/${name}/`)).filter((k) => k.endsWith('/READY') && k.split('/').length >= 4);
  const collator = new Intl.Collator('en', { numeric: true });
  return ready.sort(collator.compare).at(-1);
}

/** The name the trigger gives attempt `attempt` (1-based) of a run: the run id, then `<run id>-a<n>` (80 chars max). */
export function executionNameFor(runId: string, attempt: number): string {
  return attempt <= 1 ? runId : `${runId.slice(0, 72)}-a${attempt}`;
}

/**
 * Whether the execution behind a `running` manifest is still going (`live`): the one the manifest records (Prepare
 * writes it), else the one the trigger would have named. Not live means it ended, or can no longer be found, and the
 * run may be taken over. A failed execution being redriven (`PENDING_REDRIVE`) counts as live.
 */
async function liveExecution(deps: TriggerDeps, manifest: RunManifest, now: Date): Promise<{ live: boolean; execution: string; status: ExecutionStatus | 'not found' }> {
  const execution = manifest.execution ?? deps.starter.executionArn(executionNameFor(manifest.runId, manifest.attempts));
  const status = await deps.starter.status(execution);
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return { live: true, execution, status };
  if (status !== undefined) return { live: false, execution, status };
  // Not found. A recorded execution that no longer exists ended long ago (histories are kept 90 days after the
  // end). An unrecorded one may have been started by hand under another name: trust the manifest until the state
  // machine's own timeout has certainly passed.
  const silentHours = (now.getTime() - Date.parse(manifest.updatedAt)) / 3_600_000;
  return { live: !manifest.execution && !(silentHours > RUN_TIMEOUT_HOURS), execution, status: 'not found' };
}

export async function startIfNew(deps: TriggerDeps, config: RunConfig): Promise<TriggerOutcome> {
  const runId = runIdFor(config);
  const folder = new RunFolder(deps.store, runPrefix(runId));
  const manifest = await folder.manifest();
  if (manifest?.status === 'succeeded') return { action: 'skipped', runId, reason: 'already evaluated' };
  let previous: { execution: string; status: ExecutionStatus | 'not found' } | undefined;
  if (manifest?.status === 'running') {
    const now = deps.now?.() ?? new Date();
    const { live, ...seen } = await liveExecution(deps, manifest, now);
    if (live) return { action: 'skipped', runId, reason: `a run is in progress (execution ${seen.execution}: ${seen.status})` };
    previous = seen;
    // Say why in the run folder before anything else: the manifest stops claiming a run that nothing executes.
    const cause = `execution ${seen.execution} ${seen.status === 'not found' ? 'no longer exists' : `ended ${seen.status}`} without recording the outcome; the run was taken over by a new attempt`;
    await folder.writeManifest(failManifest(manifest, { error: 'ExecutionEnded', cause }, now.toISOString()));
    deps.log.warn('taking over a run whose execution has ended', { runId, ...seen });
  }
  const executionName = executionNameFor(runId, manifest ? manifest.attempts + 1 : 1);
  // StartExecution is idempotent for a RUNNING execution of the same name and input (it answers as if it started
  // it): ask first, so a duplicate event is reported as what it is.
  const existing = await deps.starter.status(deps.starter.executionArn(executionName));
  if (existing) return { action: 'skipped', runId, reason: `execution ${executionName} already exists (${existing})` };
  const started = await deps.starter.start(executionName, { runId, config });
  if (!started) return { action: 'skipped', runId, reason: `execution ${executionName} already exists` };
  deps.log.info('run started', { runId, executionName, resumed: !!manifest });
  if (previous) return { action: 'taken-over', runId, executionName, previous };
  return { action: manifest ? 'resumed' : 'started', runId, executionName };
}

/** Handles one trigger event: a checkpoint marker, or the schedule. */
export async function handleTrigger(deps: TriggerDeps, settings: TriggerSettings, event: CheckpointEvent | { source: 'schedule' }): Promise<TriggerOutcome> {
  if ('detail' in event) return startIfNew(deps, configForCheckpoint(event, settings));
  const source = settings.modelSource;
  if (source.kind === 'huggingface') {
    const revision = await deps.huggingFaceRevision(source.repo, source.revision);
    const config = RunConfigSchema.parse({ ...settings.base, model: source.repo, name: settings.modelName, revision, modelUri: `hf://${source.repo}` });
    return startIfNew(deps, config);
  }
  const marker = await newestCheckpoint(deps.store, source.name);
  if (!marker) return { action: 'skipped', runId: '', reason: `no checkpoint with a READY marker under checkpoints/${source.name}/` };
  return startIfNew(deps, configForCheckpoint({ detail: { bucket: { name: deps.bucket }, object: { key: marker } } }, settings));
}
