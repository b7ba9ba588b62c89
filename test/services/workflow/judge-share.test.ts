import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../../lambdas/adapters/file-blob-store.ts';
import { FRESH_MS, judgingDone, judgingRuns } from '../../../lambdas/services/workflow/judge-share.ts';

describe('judging heartbeats', () => {
  it('count the runs judging now: fresh heartbeats, not stale, done or unreadable ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-share-'));
    const store = new FileBlobStore(dir);
    const t0 = new Date('2026-12-04T10:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(await judgingRuns(store, 'a', t0)).toBe(1);
    expect(await judgingRuns(store, 'b', at(1000))).toBe(2);
    expect(await judgingRuns(store, 'a', at(2000))).toBe(2);
    // c judged long ago and stopped without saying so: not counted once its heartbeat is stale
    await judgingRuns(store, 'c', at(-FRESH_MS));
    expect(await judgingRuns(store, 'a', at(3000))).toBe(2);
    // b ends (Aggregate): its share goes back at the others' next turn
    await judgingDone(store, 'b', at(4000));
    expect(await judgingRuns(store, 'a', at(5000))).toBe(1);
    await mkdir(join(dir, 'judging'), { recursive: true });
    await writeFile(join(dir, 'judging', 'torn.json'), '{"runId":');
    expect(await judgingRuns(store, 'a', at(6000))).toBe(1);
    expect(await store.list('judging/')).toEqual(['judging/a.json', 'judging/b.json', 'judging/c.json', 'judging/torn.json']);
  });
});
