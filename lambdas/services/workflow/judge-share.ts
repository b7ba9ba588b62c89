/**
 * Concurrent runs share the judge's rate limits. The limits a run is configured with (`judge.rpm`, `judge.tpm`) are
 * the account's; a run's chunks already split them (÷ `parallelChunks`, the Map's concurrency). Across runs, each
 * judging run keeps a heartbeat at `judging/<run id>.json` in the results store, written by every chunk turn; a turn
 * counts the runs whose heartbeat is fresh and takes its share of that too. A turn lasts at most one Lambda's time,
 * so a heartbeat older than `FRESH_MS` belongs to a run that stopped judging; Aggregate marks its run done at once.
 * The share is re-read every turn: a run that starts or ends shifts the others' rate within one turn.
 */
import { JUDGING_PREFIX } from '../../core/run/layout.ts';
import type { BlobStore } from '../../ports.ts';

/** A heartbeat younger than this is a run judging now: longer than one chunk turn (a 15-minute Lambda). */
export const FRESH_MS = 20 * 60_000;

interface Heartbeat {
  runId: string;
  at: string;
  done?: boolean;
}

const keyOf = (runId: string) => `${JUDGING_PREFIX}${runId}.json`;

/** Records that `runId` is judging now and returns how many runs are (itself included, so at least 1). */
export async function judgingRuns(store: BlobStore, runId: string, now: Date): Promise<number> {
  await store.put(keyOf(runId), JSON.stringify({ runId, at: now.toISOString() } satisfies Heartbeat), { contentType: 'application/json' });
  let n = 0;
  for (const key of await store.list(JUDGING_PREFIX)) {
    if (key === keyOf(runId)) {
      n++;
      continue;
    }
    const beat = parse(await store.get(key));
    if (beat && !beat.done && now.getTime() - Date.parse(beat.at) < FRESH_MS) n++;
  }
  return Math.max(1, n);
}

/** Marks `runId` as no longer judging (its share goes back to the others at their next turn). */
export async function judgingDone(store: BlobStore, runId: string, now: Date): Promise<void> {
  await store.put(keyOf(runId), JSON.stringify({ runId, at: now.toISOString(), done: true } satisfies Heartbeat), { contentType: 'application/json' });
}

function parse(body: Buffer | undefined): Heartbeat | undefined {
  if (!body) return undefined;
  try {
    const v = JSON.parse(body.toString('utf8')) as Partial<Heartbeat>;
    return typeof v.at === 'string' && !Number.isNaN(Date.parse(v.at)) ? v as Heartbeat : undefined;
  } catch {
    return undefined; // a torn or foreign object counts as nobody
  }
}
