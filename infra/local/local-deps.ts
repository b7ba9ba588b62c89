/**
 * Workflow dependencies for `aep run`: the results store (a directory or any S3 endpoint), assets resolved with the
 * run's overrides and cached in the user's cache directory, the judge key from `OPENAI_API_KEY`, the judge cache in
 * the user's cache directory, and a logger writing one line per message to stderr.
 */
import { AssetResolver } from '../../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { readSource } from '../../lambdas/adapters/read-source.ts';
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

export function localDeps(o: LocalDepsOptions): JudgeDeps {
  return withJudge({
    store: o.store,
    assetsFor: (a) => new AssetResolver({
      cacheDir: o.cacheDir, env: o.env,
      overrides: { 'eval-set': a.evalSet, 'judge-template': a.judgeTemplate, gamed: a.gamed, 'instruction-difficulty': a.instructionDifficulty, leaderboard: a.leaderboard },
    }),
    readSource: (location) => readSource(location, { store: o.store, env: o.env }),
    openAiKey: async () => o.env.OPENAI_API_KEY || undefined,
    log: o.log,
    now: () => new Date(),
    versions: { pipeline: o.version, node: process.version },
  }, { cacheStore: new FileBlobStore(judgeCacheDir(o.cacheDir)) });
}
