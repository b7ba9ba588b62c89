/** Cloud judge access: the OpenAI key from Secrets Manager, the judge cache under `cache/judge/` in the bucket. */
import { PrefixedBlobStore } from '../adapters/prefixed-store.ts';
import { BlobJudgeCache } from '../adapters/judge-cache.ts';
import { OpenAIBatchClient } from '../adapters/openai-batch.ts';
import { OpenAIJudgeClient } from '../adapters/openai-judge-client.ts';
import type { JudgePreset } from '../core/judge/presets.ts';
import type { RunConfig } from '../core/run/run-config.ts';
import type { JudgeDeps } from '../services/workflow/judge-step.ts';
import type { WorkflowDeps } from '../services/workflow/deps.ts';
import type { BlobStore } from '../ports.ts';

export const JUDGE_CACHE_PREFIX = 'cache/judge/';

/**
 * Adds judge clients and the judge cache to workflow deps: by default the cache lives in the results store under
 * `cache/judge/` (the cloud); `aep run` passes the user's cache directory instead.
 */
export function withJudge(deps: WorkflowDeps, options: { cacheStore?: BlobStore } = {}): JudgeDeps {
  const connection = async (preset: JudgePreset, config: RunConfig) => {
    const apiKey = await deps.openAiKey();
    if (!apiKey) throw new Error('no OpenAI API key: set the OpenAiApiKey secret of the stack (or OPENAI_API_KEY locally)');
    return { model: preset.model, apiKey, baseUrl: config.judge.baseUrl, request: preset.request };
  };
  return {
    ...deps,
    judgeCache: new BlobJudgeCache(options.cacheStore ?? new PrefixedBlobStore(deps.store, JUDGE_CACHE_PREFIX)),
    judgeClient: async (preset, config) => new OpenAIJudgeClient(await connection(preset, config)),
    batchClient: async (preset, config) => new OpenAIBatchClient(await connection(preset, config)),
  };
}
