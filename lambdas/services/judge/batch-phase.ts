/**
 * The Batch API phase of a judge run: submit the pending requests as one batch (or resume the batch a crashed run
 * submitted for the same requests), poll with backoff until it ends, and return one outcome per key. Keys the batch
 * did not answer come back as retryable failures; the caller retries them in real time.
 *
 * Resume: the batch id is recorded under `batches/<sha256 of the sorted keys>.json` in a state store before polling
 * starts, so a rerun after a crash polls (or downloads) the batch it already paid for instead of submitting again.
 */
import { sha256Hex } from '../../core/judge/build-requests.ts';
import type { ChatMessage } from '../../core/judge/prompt.ts';
import type { BlobStore } from '../../ports.ts';
import type { Clock } from './clock.ts';
import { JudgeBatchError, JudgeRunError } from './errors.ts';
import type { BatchJobStatus, BatchJudgeClient, JudgeAttemptOutcome } from './types.ts';

export interface BatchPhaseOptions {
  requests: readonly { key: string; messages: readonly ChatMessage[] }[];
  client: BatchJudgeClient;
  /** Where batch ids are recorded for resuming. */
  state: BlobStore;
  clock: Clock;
  /** First wait between status polls; grows ×1.5 up to `maxPollIntervalMs`. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  onStatus?: (status: BatchJobStatus, info: { resumed: boolean }) => void;
  signal?: AbortSignal;
}

export interface BatchPhaseResult {
  batchId: string;
  resumed: boolean;
  status: string;
  outcomes: Map<string, JudgeAttemptOutcome>;
  elapsedMs: number;
}

interface BatchRecord {
  batchId: string;
  model: string;
  requests: number;
  createdAt: string;
}

function stateKey(keys: readonly string[]): string {
  return `batches/${sha256Hex([...keys].sort().join('\n'))}.json`;
}

async function readRecord(state: BlobStore, key: string): Promise<BatchRecord | undefined> {
  const bytes = await state.get(key);
  if (!bytes) return undefined;
  try {
    const rec = JSON.parse(bytes.toString('utf8')) as BatchRecord;
    return typeof rec.batchId === 'string' ? rec : undefined;
  } catch {
    return undefined;
  }
}

export async function runBatchPhase(options: BatchPhaseOptions): Promise<BatchPhaseResult> {
  const { client, clock, signal } = options;
  const started = clock.now();
  const recordKey = stateKey(options.requests.map((r) => r.key));
  let record = await readRecord(options.state, recordKey);
  let resumed = false;
  let status: BatchJobStatus | undefined;
  if (record && record.model === client.model) {
    try {
      status = await client.status(record.batchId, { signal });
      resumed = true;
    } catch (err) {
      if (err instanceof JudgeRunError) throw err;
      status = undefined; // the API no longer knows the batch: submit a new one
    }
  }
  if (!status) {
    const { batchId } = await client.submit(
      options.requests.map((r) => ({ customId: r.key, messages: r.messages })),
      { signal },
    );
    record = { batchId, model: client.model, requests: options.requests.length, createdAt: new Date().toISOString() };
    await options.state.put(recordKey, JSON.stringify(record, null, 2), { contentType: 'application/json' });
    status = await client.status(batchId, { signal });
  }
  let interval = options.pollIntervalMs;
  options.onStatus?.(status, { resumed });
  while (!status.terminal) {
    await clock.sleep(interval, signal);
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    interval = Math.min(options.maxPollIntervalMs, interval * 1.5);
    status = await client.status(status.batchId, { signal });
    options.onStatus?.(status, { resumed });
  }
  if (status.status === 'failed') {
    throw new JudgeBatchError({ batchId: status.batchId, status: status.status, errors: status.errors });
  }
  const found = await client.results(status, { signal });
  const elapsedMs = clock.now() - started;
  const perRow = options.requests.length > 0 ? elapsedMs / options.requests.length : 0;
  const outcomes = new Map<string, JudgeAttemptOutcome>();
  for (const { key } of options.requests) {
    const o = found.get(key);
    if (!o) {
      outcomes.set(key, {
        ok: false, kind: 'server', retryable: true, latencyMs: 0,
        reason: `batch ${status.batchId} ended ${status.status} without a result for this row`,
      });
    } else {
      outcomes.set(key, o.ok ? { ...o, latencyMs: perRow } : o);
    }
  }
  return { batchId: status.batchId, resumed, status: status.status, outcomes, elapsedMs };
}
