import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import type { RunConfigInput } from '../../lambdas/core/run/run-config.ts';
import { configForCheckpoint, handleTrigger, type CheckpointEvent, type TriggerDeps, type TriggerSettings } from '../../lambdas/services/workflow/start-run.ts';
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

/** A state machine stand-in with Step Functions' naming rule: an execution name can be used once. */
function starter() {
  const started: { name: string; input: { runId: string; config: RunConfigInput } }[] = [];
  return {
    started,
    start: async (name: string, input: { runId: string; config: RunConfigInput }) => {
      if (started.some((s) => s.name === name)) return false;
      started.push({ name, input });
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
