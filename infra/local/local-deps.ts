/**
 * Workflow dependencies for `aep run`: the results store (a directory or any S3 endpoint), assets resolved with the
 * run's overrides and cached in the user's cache directory, the judge key from `OPENAI_API_KEY`, the judge cache in
 * the user's cache directory, and a logger writing one line per message to stderr.
 */
import { readFile } from 'node:fs/promises';
import { AssetResolver } from '../../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { judgeCacheDir } from '../../lambdas/adapters/judge-cache.ts';
import { withJudge } from '../../lambdas/handlers/judge-deps.ts';
import type { BlobStore, LogPort } from '../../lambdas/ports.ts';
import type { JudgeDeps } from '../../lambdas/services/workflow/judge-step.ts';

export interface LocalDepsOptions {
  store: BlobStore;
  cacheDir: string;
  env: Record<string, string | undefined>;
  log: LogPort;
  version: string;
}

/** Reads a file a run config names: a store key, an s3:// URL, an http(s) URL or a local path. */
async function readSource(store: BlobStore, env: Record<string, string | undefined>, location: string) {
  if (location.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
    if (!m) throw new Error(`not an s3://bucket/key URL: ${location}`);
    const body = await openBlobStore(`s3://${m[1]}/`, { env }).get(m[2]!);
    if (!body) throw new Error(`${location} does not exist`);
    return { text: body.toString('utf8'), source: location };
  }
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`cannot download ${location}: HTTP ${res.status}`);
    return { text: await res.text(), source: location };
  }
  try {
    return { text: await readFile(location, 'utf8'), source: location };
  } catch (err) {
    const body = await store.get(location);
    if (body) return { text: body.toString('utf8'), source: store.locate(location) };
    throw err;
  }
}

export function localDeps(o: LocalDepsOptions): JudgeDeps {
  return withJudge({
    store: o.store,
    assetsFor: (a) => new AssetResolver({
      cacheDir: o.cacheDir, env: o.env,
      overrides: { 'eval-set': a.evalSet, 'judge-template': a.judgeTemplate, gamed: a.gamed, 'instruction-difficulty': a.instructionDifficulty, leaderboard: a.leaderboard },
    }),
    readSource: (location) => readSource(o.store, o.env, location),
    openAiKey: async () => o.env.OPENAI_API_KEY || undefined,
    log: o.log,
    now: () => new Date(),
    versions: { pipeline: o.version, node: process.version },
  }, { cacheStore: new FileBlobStore(judgeCacheDir(o.cacheDir)) });
}
