/**
 * The content-addressed judgement cache on a BlobStore: one small JSON object per key, `v1/<key[0..2]>/<key>.json`.
 *
 * - Crash-safe: the store writes atomically (temporary file + rename on disk, a single PUT on S3), so a crash leaves
 *   either no entry or a whole one; stray temporary files are ignored.
 * - Concurrent-safe: writers of one key write equivalent content and the last rename wins; readers never see a
 *   partial object.
 * - Defensive: an entry that does not parse, fails the schema or names another key is treated as absent (the row is
 *   judged again) and counted in `unreadable`, never thrown.
 * Only successful judgements are stored (a parser NaN is one); failures never are.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { BlobStore } from '../ports.ts';
import type { CachedJudgement, JudgeCache } from '../services/judge/types.ts';
import { defaultCacheDir } from './assets.ts';
import { FileBlobStore } from './file-blob-store.ts';

const KEY = /^[0-9a-f]{64}$/;

const usage = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
});

const entrySchema = z.object({
  key: z.string().regex(KEY),
  judgeModel: z.string(),
  rawCompletion: z.record(z.string(), z.unknown()),
  usage: usage.nullable(),
  costUsd: z.number().nullable(),
  latencyMs: z.number(),
  via: z.enum(['api', 'batch']),
  createdAt: z.string(),
});

/** The judge cache folder under a cache root: `<root>/judge`. */
export function judgeCacheDir(cacheRoot?: string, env: Record<string, string | undefined> = {}): string {
  return join(cacheRoot ?? defaultCacheDir(env), 'judge');
}

export class BlobJudgeCache implements JudgeCache {
  /** Entries found but unusable (corrupt, wrong key): treated as misses. */
  unreadable = 0;

  constructor(private readonly store: BlobStore) {}

  /** A cache in a directory on disk. */
  static inDirectory(dir: string): BlobJudgeCache {
    return new BlobJudgeCache(new FileBlobStore(dir));
  }

  /** Where an entry lives (a path or URL), for messages. */
  locate(key: string): string {
    return this.store.locate(this.objectKey(key));
  }

  private objectKey(key: string): string {
    if (!KEY.test(key)) throw new RangeError(`not a judge cache key: ${key}`);
    return `v1/${key.slice(0, 2)}/${key}.json`;
  }

  async get(key: string): Promise<CachedJudgement | undefined> {
    const bytes = await this.store.get(this.objectKey(key));
    if (!bytes) return undefined;
    try {
      const entry = entrySchema.parse(JSON.parse(bytes.toString('utf8')));
      if (entry.key !== key) throw new Error('entry names another key');
      return entry;
    } catch {
      this.unreadable++;
      return undefined;
    }
  }

  async put(entry: CachedJudgement): Promise<void> {
    await this.store.put(this.objectKey(entry.key), JSON.stringify(entrySchema.parse(entry)), {
      contentType: 'application/json',
    });
  }
}
