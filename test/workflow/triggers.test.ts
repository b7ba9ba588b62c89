import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import type { RunConfigInput } from '../../lambdas/core/run/run-config.ts';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { configForCheckpoint, handleTrigger, type CheckpointEvent, type ExecutionStatus, type TriggerDeps, type TriggerSettings } from '../../lambdas/services/workflow/start-run.ts';
import { motoAvailability, startMoto, type MotoServer } from '../support/moto.ts';
import { newBucket } from './harness.ts';

const moto = motoAvailability();
if (!moto.available) console.warn(`[skip] trigger tests: ${moto.reason}`);

let s3: MotoServer;
beforeAll(async () => {
  if (moto.available) s3 = await startMoto();
}, 60_000);
afterAll(() => s3?.stop());

const settings: TriggerSettings = {
  modelSource: { kind: 's3', name: 'hh-sft' },
  base: { judge: { preset: 'weighted_alpaca_eval_gpt4_turbo' } },
};

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Eval';

/** A state machine stand-in with Step Functions' naming rules (a name is used once; StartExecution is idempotent) and statuses. */
function starter() {
  const started: { name: string; input: { runId: string; config: RunConfigInput } }[] = [];
  const statuses = new Map<string, ExecutionStatus>();
  const executionArn = (name: string) => `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
  return {
    started,
    statuses,
    executionArn,
    status: async (arn: string) => statuses.get(arn),
    start: async (name: string, input: { runId: string; config: RunConfigInput }) => {
      const same = started.find((s) => s.name === name);
      // Step Functions: the same name and input while RUNNING answers as if started (idempotent); otherwise it refuses
      if (same) return statuses.get(executionArn(name)) === 'RUNNING' && JSON.stringify(same.input) === JSON.stringify(input);
      started.push({ name, input });
      statuses.set(executionArn(name), 'RUNNING');
      return true;
    },
  };
}

function marker(bucket: string, key: string): CheckpointEvent {
  return { detail: { bucket: { name: bucket }, object: { key, etag: 'e1' } } };
}

describe.skipIf(!moto.available)('run triggers', () => {
  async function deps() {
    const bucket = await newBucket(s3);
    const store = openBlobStore(`s3://${bucket}/`, { env: s3.env });
    const sfn = starter();
    const d: TriggerDeps = { store, bucket, starter: sfn, log: { info: () => {}, warn: () => {}, error: () => {} }, huggingFaceRevision: async () => 'abc123' };
    return { d, sfn, store, bucket };
  }

  it('starts one run for a checkpoint, however many times its READY marker event arrives', async () => {
    const { d, sfn, bucket } = await deps();
    const event = marker(bucket, 'checkpoints/hh-sft/step-1000/READY');
    const first = await handleTrigger(d, settings, event);
    const again = await handleTrigger(d, settings, event);
    expect(first).toMatchObject({ action: 'started' });
    expect(again).toMatchObject({ action: 'skipped', runId: first.runId });
    expect(sfn.started).toHaveLength(1);
    expect(sfn.started[0]!.input.config).toMatchObject({ model: 'hh-sft', revision: 'step-1000', modelUri: `s3://${bucket}/checkpoints/hh-sft/step-1000/` });
  });

  it('does not start a run for a revision already evaluated, and resumes one that failed', async () => {
    const { d, sfn, store, bucket } = await deps();
    const event = marker(bucket, 'checkpoints/hh-sft/step-2000/READY');
    const runId = (await handleTrigger(d, settings, event)).runId;
    await store.put(`runs/${runId}/manifest.json`, JSON.stringify({ version: 1, runId, status: 'succeeded', attempts: 1 }));
    expect(await handleTrigger(d, settings, event)).toMatchObject({ action: 'skipped', reason: 'already evaluated' });
    await store.put(`runs/${runId}/manifest.json`, JSON.stringify({ version: 1, runId, status: 'failed', attempts: 1 }));
    expect(await handleTrigger(d, settings, event)).toMatchObject({ action: 'resumed', executionName: `${runId}-a2` });
    expect(sfn.started.map((s) => s.input.runId)).toEqual([runId, runId]);
  });

  describe('a manifest that says running', () => {
    /** A run started by the trigger, its manifest as Prepare leaves it (with or without the execution recorded). */
    async function running(step: string, options: { recorded?: boolean; updatedAt?: string } = {}) {
      const env = await deps();
      const event = marker(env.bucket, `checkpoints/hh-sft/${step}/READY`);
      const first = await handleTrigger(env.d, settings, event);
      const execution = env.sfn.executionArn(first.runId);
      const manifest = {
        version: 1, runId: first.runId, status: 'running', attempts: 1, updatedAt: options.updatedAt ?? new Date().toISOString(),
        stages: { judge: { status: 'running' } }, ...(options.recorded === false ? {} : { execution }),
      };
      await env.store.put(`runs/${first.runId}/manifest.json`, JSON.stringify(manifest));
      return { ...env, event, runId: first.runId, execution };
    }
    const manifestOf = async (store: TriggerDeps['store'], runId: string) => JSON.parse((await store.get(`runs/${runId}/manifest.json`))!.toString()) as RunManifest;

    it('is left alone while its execution runs', async () => {
      const { d, sfn, event, execution } = await running('step-10');
      expect(await handleTrigger(d, settings, event)).toMatchObject({ action: 'skipped', reason: `a run is in progress (execution ${execution}: RUNNING)` });
      expect(sfn.started).toHaveLength(1);
    });

    it('is taken over when its execution was aborted: marked failed with the reason, then the next attempt starts', async () => {
      const { d, sfn, store, event, runId, execution } = await running('step-20');
      sfn.statuses.set(execution, 'ABORTED');
      const outcome = await handleTrigger(d, settings, event);
      expect(outcome).toEqual({ action: 'taken-over', runId, executionName: `${runId}-a2`, previous: { execution, status: 'ABORTED' } });
      const manifest = await manifestOf(store, runId);
      expect(manifest.status).toBe('failed');
      expect(manifest.failure).toMatchObject({ error: 'ExecutionEnded', stage: 'judge' });
      expect(manifest.failure!.cause).toContain(`execution ${execution} ended ABORTED`);
      expect(sfn.started.map((s) => s.name)).toEqual([runId, `${runId}-a2`]);
      // the new attempt is now the running one: a second event starts nothing
      expect(await handleTrigger(d, settings, event)).toMatchObject({ action: 'skipped' });
      expect(sfn.started).toHaveLength(2);
    });

    it('is taken over when its execution timed out or failed before recording it', async () => {
      for (const [step, status] of [['step-30', 'TIMED_OUT'], ['step-31', 'FAILED']] as const) {
        const { d, sfn, event, execution } = await running(step);
        sfn.statuses.set(execution, status);
        expect(await handleTrigger(d, settings, event)).toMatchObject({ action: 'taken-over', previous: { status } });
      }
    });

    it('is taken over when the execution it records no longer exists', async () => {
      const { d, sfn, event, execution } = await running('step-40');
      sfn.statuses.delete(execution);
      expect(await handleTrigger(d, settings, event)).toMatchObject({ action: 'taken-over', previous: { execution, status: 'not found' } });
    });

    it('without a recorded execution, is trusted until the state machine timeout has passed', async () => {
      const recent = await running('step-50', { recorded: false });
      recent.sfn.statuses.clear(); // started by hand under another name: nothing found under the trigger's name
      expect(await handleTrigger(recent.d, settings, recent.event)).toMatchObject({ action: 'skipped' });
      const old = await running('step-51', { recorded: false, updatedAt: new Date(Date.now() - 31 * 3_600_000).toISOString() });
      old.sfn.statuses.clear();
      expect(await handleTrigger(old.d, settings, old.event)).toMatchObject({ action: 'taken-over', previous: { status: 'not found' } });
    });
  });

  it('on schedule, evaluates the newest checkpoint in natural order', async () => {
    const { d, sfn, store } = await deps();
    for (const step of ['step-900', 'step-1000', 'step-200']) await store.put(`checkpoints/hh-sft/${step}/READY`, '');
    await store.put('checkpoints/hh-sft/step-3000/model.safetensors', 'x'); // no READY: incomplete
    const outcome = await handleTrigger(d, settings, { source: 'schedule' });
    expect(outcome).toMatchObject({ action: 'started' });
    expect(sfn.started[0]!.input.config.revision).toBe('step-1000');
  });

  it('on schedule, evaluates a Hugging Face repo once per commit', async () => {
    const { d, sfn } = await deps();
    const hf: TriggerSettings = { ...settings, modelSource: { kind: 'huggingface', repo: 'W-61/hh-llama32-1b-sft', revision: 'main' } };
    await handleTrigger(d, hf, { source: 'schedule' });
    await handleTrigger(d, hf, { source: 'schedule' });
    expect(sfn.started).toHaveLength(1);
    expect(sfn.started[0]!.input.config).toMatchObject({ model: 'W-61/hh-llama32-1b-sft', revision: 'abc123', modelUri: 'hf://W-61/hh-llama32-1b-sft' });
  });
});

describe('configForCheckpoint', () => {
  it('names the run after the folder and uses the marker version when the marker sits in the model folder', () => {
    const c = configForCheckpoint({ detail: { bucket: { name: 'b' }, object: { key: 'checkpoints/m/READY', 'version-id': 'v7' } } }, settings);
    expect(c).toMatchObject({ model: 'm', revision: 'v7', modelUri: 's3://b/checkpoints/m/' });
  });

  it('rejects keys that are not checkpoint markers', () => {
    expect(() => configForCheckpoint({ detail: { bucket: { name: 'b' }, object: { key: 'runs/x/READY' } } }, settings)).toThrow('not a checkpoint marker');
  });
});
