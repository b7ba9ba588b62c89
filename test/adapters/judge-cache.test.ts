import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobJudgeCache, judgeCacheDir } from '../../lambdas/adapters/judge-cache.ts';
import { sha256Hex } from '../../lambdas/core/judge/build-requests.ts';
import type { CachedJudgement } from '../../lambdas/services/judge/types.ts';
import { repoRoot } from '../support/fixtures.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aep-judge-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(key: string, overrides: Partial<CachedJudgement> = {}): CachedJudgement {
  return {
    key, judgeModel: 'gpt-4-1106-preview',
    rawCompletion: { logprobs: { content: [{ token: 'm', logprob: -0.1, top_logprobs: [{ token: 'm', logprob: -0.1 }] }] } },
    usage: { prompt_tokens: 800, completion_tokens: 1, total_tokens: 801 }, costUsd: 0.00803, latencyMs: 412, via: 'api',
    createdAt: '2026-01-01T00:00:00.000Z', ...overrides,
  };
}

describe('judge-cache', () => {
  describe('judgeCacheDir', () => {
    it('puts judgements in <cache root>/judge, defaulting to the user cache dir', () => {
      expect(judgeCacheDir('/tmp/x')).toBe('/tmp/x/judge');
      expect(judgeCacheDir(undefined, { AEP_CACHE_DIR: '/c' })).toBe('/c/judge');
    });
  });

  describe('BlobJudgeCache', () => {
    it('stores one JSON object per key under v1/<2 hex>/<key>.json and reads it back', async () => {
      // Prepare
      const cache = BlobJudgeCache.inDirectory(dir);
      const key = sha256Hex('row 1');
      // Act
      await cache.put(entry(key));
      const got = await cache.get(key);
      // Assess
      expect(got).toEqual(entry(key));
      const onDisk = JSON.parse(await readFile(join(dir, 'v1', key.slice(0, 2), `${key}.json`), 'utf8'));
      expect(onDisk).toEqual(entry(key));
      expect(await cache.get(sha256Hex('another row'))).toBeUndefined();
    });

    it('treats a truncated, schema-less or misplaced entry as absent and counts it; a put repairs it', async () => {
      // Prepare
      const cache = BlobJudgeCache.inDirectory(dir);
      const [a, b, c] = ['a', 'b', 'c'].map(sha256Hex) as [string, string, string];
      const path = (k: string) => join(dir, 'v1', k.slice(0, 2), `${k}.json`);
      for (const k of [a, b, c]) await mkdir(join(dir, 'v1', k.slice(0, 2)), { recursive: true });
      await writeFile(path(a), JSON.stringify(entry(a)).slice(0, 40));
      await writeFile(path(b), JSON.stringify({ key: b }));
      await writeFile(path(c), JSON.stringify(entry(a)));
      // Act
      const got = await Promise.all([a, b, c].map((k) => cache.get(k)));
      await cache.put(entry(a));
      // Assess
      expect(got).toEqual([undefined, undefined, undefined]);
      expect(cache.unreadable).toBe(3);
      expect(await cache.get(a)).toEqual(entry(a));
    });

    it('ignores temporary files a crash left behind', async () => {
      // Prepare
      const cache = BlobJudgeCache.inDirectory(dir);
      const key = sha256Hex('k');
      await mkdir(join(dir, 'v1', key.slice(0, 2)), { recursive: true });
      await writeFile(join(dir, 'v1', key.slice(0, 2), `${key}.json.123.456.abc.tmp`), '{"key": "half');
      // Act & Assess
      expect(await cache.get(key)).toBeUndefined();
      await cache.put(entry(key));
      expect(await cache.get(key)).toEqual(entry(key));
    });

    it('survives many concurrent writers of the same and of different keys', async () => {
      // Prepare
      const cache = BlobJudgeCache.inDirectory(dir);
      const keys = Array.from({ length: 50 }, (_, i) => sha256Hex(`row ${i % 10}`));
      // Act
      await Promise.all(keys.map((k, i) => cache.put(entry(k, { latencyMs: i }))));
      // Assess
      const got = await Promise.all(keys.slice(0, 10).map((k) => cache.get(k)));
      expect(got.every((g) => g !== undefined)).toBe(true);
      expect(cache.unreadable).toBe(0);
    });

    it('rejects something that is not a content address', async () => {
      const cache = BlobJudgeCache.inDirectory(dir);
      await expect(cache.get('../../etc/passwd')).rejects.toThrow(/not a judge cache key/);
    });

    it('never leaves a corrupt entry when the writing process is killed mid-way', async () => {
      // Prepare: a child process writes entries as fast as it can
      const moduleUrl = pathToFileURL(join(repoRoot, 'lambdas/adapters/judge-cache.ts')).href;
      const script = `
        const { BlobJudgeCache } = await import(${JSON.stringify(moduleUrl)});
        const { createHash } = await import('node:crypto');
        const cache = BlobJudgeCache.inDirectory(${JSON.stringify(dir)});
        const big = 'x'.repeat(200000);
        for (let i = 0; ; i++) {
          const key = createHash('sha256').update(String(i)).digest('hex');
          await cache.put({ key, judgeModel: 'm', rawCompletion: { text: big }, usage: null, costUsd: null,
            latencyMs: 1, via: 'api', createdAt: 'now' });
          if (i === 5) process.stdout.write('go\\n');
        }`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150));
      // Act
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // Assess: every entry file present is whole and readable
      const cache = BlobJudgeCache.inDirectory(dir);
      const files: string[] = [];
      for (const sub of await readdir(join(dir, 'v1'))) {
        for (const f of await readdir(join(dir, 'v1', sub))) if (f.endsWith('.json')) files.push(f.slice(0, -5));
      }
      expect(files.length).toBeGreaterThan(5);
      const got = await Promise.all(files.map((k) => cache.get(k)));
      expect(got.every((g) => g?.rawCompletion.text === 'x'.repeat(200000))).toBe(true);
      expect(cache.unreadable).toBe(0);
    });
  });
});
