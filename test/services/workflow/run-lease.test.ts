import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../../lambdas/adapters/file-blob-store.ts';
import {
  localExecutionId, localExecutionState, RunInProgressError, takeRunLease, UNVERIFIABLE_HOLDER_MS, type ExecutionState,
} from '../../../lambdas/services/workflow/run-lease.ts';

async function runStore() {
  const dir = await mkdtemp(join(tmpdir(), 'aep-lease-'));
  return { dir, store: new FileBlobStore(dir) };
}

const at = (iso: string) => () => new Date(iso);

describe('takeRunLease', () => {
  it('gives a free run to the first execution, again to the same one, and refuses another while the holder runs', async () => {
    const { store } = await runStore();
    const states = new Map<string, ExecutionState>([['arn:a', 'running']]);
    const take = (execution: string) => takeRunLease({ store, runUrl: 'runs/x/', execution, now: at('2026-12-04T00:00:00Z'), executionState: async (e) => states.get(e) ?? 'ended' });
    expect(await take('arn:a')).toEqual({});
    expect(await take('arn:a')).toEqual({}); // Prepare retried within the same execution
    const refused = await take('arn:b').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RunInProgressError);
    expect((refused as Error).message).toMatch(/^runs\/x\/ is being evaluated by arn:a \(since 2026-12-04T00:00:00\.000Z\)/);
    // the holder ends (aborted, timed out, failed before recording it): the next execution takes the run over
    states.set('arn:a', 'ended');
    expect(await take('arn:b')).toEqual({ takenOver: { execution: 'arn:a', takenAt: '2026-12-04T00:00:00.000Z' } });
    states.set('arn:b', 'running');
    await expect(take('arn:a')).rejects.toBeInstanceOf(RunInProgressError);
  });

  it('presumes a holder it cannot ask about alive for the state machine\'s timeout, then takes over', async () => {
    const { store } = await runStore();
    await takeRunLease({ store, runUrl: 'r/', execution: 'local:laptop:123:r', now: at('2026-12-04T00:00:00Z') });
    const later = (ms: number) => () => new Date(Date.parse('2026-12-04T00:00:00Z') + ms);
    const ask = async () => 'unknown' as const;
    await expect(takeRunLease({ store, runUrl: 'r/', execution: 'arn:c', now: later(UNVERIFIABLE_HOLDER_MS - 1), executionState: ask })).rejects.toBeInstanceOf(RunInProgressError);
    expect(await takeRunLease({ store, runUrl: 'r/', execution: 'arn:c', now: later(UNVERIFIABLE_HOLDER_MS + 1), executionState: ask }))
      .toEqual({ takenOver: { execution: 'local:laptop:123:r', takenAt: '2026-12-04T00:00:00.000Z' } });
  });

  it('takes over an unreadable lease', async () => {
    const { dir, store } = await runStore();
    await writeFile(join(dir, 'lease.json'), '{"execution": "arn:a", "takenAt"');
    expect(await takeRunLease({ store, runUrl: 'r/', execution: 'arn:b', now: at('2026-12-04T00:00:00Z'), executionState: async () => 'running' })).toEqual({});
    expect(JSON.parse((await store.get('lease.json'))!.toString('utf8'))).toMatchObject({ execution: 'arn:b' });
  });

  it('lets exactly one of many executions starting together hold a free run', async () => {
    const { store } = await runStore();
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => takeRunLease({
      store, runUrl: 'r/', execution: `arn:${i}`, now: at('2026-12-04T00:00:00Z'), executionState: async () => 'running',
    })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof RunInProgressError)).toHaveLength(5);
  });
});

describe('local execution ids', () => {
  it('name host and pid, so a holder on this host is checked by its process and one elsewhere is unknown', () => {
    const id = localExecutionId('laptop', 4242, 'run-1');
    expect(id).toBe('local:laptop:4242:run-1');
    expect(localExecutionState(id, 'laptop', (pid) => pid === 4242)).toBe('running');
    expect(localExecutionState(id, 'laptop', () => false)).toBe('ended');
    expect(localExecutionState(id, 'other-host', () => true)).toBe('unknown');
    expect(localExecutionState('arn:aws:states:us-east-1:1:execution:sm:x', 'laptop', () => true)).toBe('unknown');
  });
});
