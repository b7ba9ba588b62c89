/**
 * Starting runs from triggers: a checkpoint's `READY` marker in S3, or the schedule asking the model source for its
 * newest revision. The run id is derived from model + revision + config, so a checkpoint is evaluated (and paid
 * for) once: a run that succeeded or is running is not started again; a failed one is resumed.
 */
import { runPrefix } from '../../core/run/layout.ts';
import { RunConfigSchema, runIdFor, type RunConfig, type RunConfigInput } from '../../core/run/run-config.ts';
import type { BlobStore, LogPort } from '../../ports.ts';
import { RunFolder } from './run-store.ts';

/** Starts executions of the deployed state machine. */
export interface ExecutionStarter {
  /** Starts `name`; returns false when an execution of that name already exists. */
  start(name: string, input: { runId: string; config: RunConfigInput }): Promise<boolean>;
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
}

export interface TriggerSettings {
  modelSource: ModelSource;
  modelName?: string;
  /** Run settings applied to every triggered run (generation, judge). */
  base: Omit<RunConfigInput, 'model'>;
}

export type TriggerOutcome = { action: 'started' | 'resumed'; runId: string; executionName: string } | { action: 'skipped'; runId: string; reason: string };

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

export async function startIfNew(deps: TriggerDeps, config: RunConfig): Promise<TriggerOutcome> {
  const runId = runIdFor(config);
  const manifest = await new RunFolder(deps.store, runPrefix(runId)).manifest();
  if (manifest?.status === 'succeeded') return { action: 'skipped', runId, reason: 'already evaluated' };
  if (manifest?.status === 'running') return { action: 'skipped', runId, reason: 'a run is in progress' };
  const executionName = manifest ? `${runId.slice(0, 72)}-a${manifest.attempts + 1}` : runId;
  const started = await deps.starter.start(executionName, { runId, config });
  if (!started) return { action: 'skipped', runId, reason: `execution ${executionName} already exists` };
  deps.log.info('run started', { runId, executionName, resumed: !!manifest });
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
