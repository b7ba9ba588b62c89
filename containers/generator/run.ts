/**
 * The generator job: configuration from the environment → model resolved (Hugging Face id, local directory, or an
 * `s3://` checkpoint copied to disk) → `vllm serve` started → the generation driver (the same code as
 * `aep generate --engine vllm`) writing `model_outputs.json`, `generation.json` and its checkpoint into the run
 * folder → vLLM stopped. Returns the exit code; the reason of a failure is one line on stderr.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { AssetResolver } from '../../lambdas/adapters/assets.ts';
import { openBlobStore, parseS3Url, S3BlobStore, s3ClientFromEnv } from '../../lambdas/adapters/blob-store.ts';
import { OpenAIEngine } from '../../lambdas/adapters/openai-engine.ts';
import { withVllm } from '../../lambdas/adapters/vllm-process.ts';
import { AssetError } from '../../lambdas/core/errors.ts';
import { resolveDecoding } from '../../lambdas/core/generation/decoding.ts';
import { formatProgress } from '../../lambdas/core/generation/progress.ts';
import { generateModelOutputs } from '../../lambdas/services/generate.ts';
import { readConfig, type GeneratorConfig } from './config.ts';
import { resolveModel } from './model-source.ts';

export interface GeneratorIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (text: string) => void;
  /**
   * An OpenAI-compatible engine that already serves the model (`aep run --generator-base-url`): no model download,
   * no vLLM process; everything else is the job's code path.
   */
  engine?: { baseUrl: string; apiKey?: string | undefined };
}

/** An `s3://` eval set is downloaded to the cache directory; paths and URLs go to the asset resolver as they are. */
async function evalSetOverride(config: GeneratorConfig, s3: () => S3Client): Promise<string | undefined> {
  if (!config.evalSet?.startsWith('s3://')) return config.evalSet;
  const { bucket, prefix } = parseS3Url(config.evalSet);
  const key = prefix.replace(/\/$/, '');
  const bytes = await new S3BlobStore({ url: `s3://${bucket}`, client: s3() }).get(key);
  if (!bytes) throw new AssetError(`the eval set ${config.evalSet} does not exist`);
  await mkdir(config.cacheDir, { recursive: true });
  const path = join(config.cacheDir, 'eval-set.override.json');
  await writeFile(path, bytes);
  return path;
}

export async function runGenerator({ env, out, err, engine }: GeneratorIo): Promise<number> {
  const cancel = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    err(`aep-generator: ${sig} received: stopping; finished rows stay in the checkpoint\n`);
    cancel.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let client: S3Client | undefined;
  const s3 = () => (client ??= s3ClientFromEnv(env));
  try {
    const config = readConfig(env);
    const store = openBlobStore(config.runUrl, { s3Client: config.runUrl.startsWith('s3://') ? s3() : undefined });
    const resolver = new AssetResolver({ cacheDir: config.cacheDir, overrides: { 'eval-set': await evalSetOverride(config, s3) }, env });
    const { asset, text } = await resolver.text('eval-set');
    const decoding = resolveDecoding(config.decoding);
    const common = {
      store, model: config.modelName, revision: config.modelRevision, generator: config.generator,
      evalSet: { text, source: asset.source, sha256: asset.sha256 },
      promptMode: config.promptTemplate === null ? { kind: 'auto' as const } : { kind: 'template' as const, template: config.promptTemplate, source: 'PROMPT_TEMPLATE' },
      decoding, concurrency: config.concurrency, maxInstances: config.maxInstances,
      progressIntervalMs: config.progressIntervalMs, onProgress: (s: Parameters<typeof formatProgress>[0]) => err(`${formatProgress(s)}\n`),
    };
    if (engine) {
      const client = new OpenAIEngine({ baseUrl: engine.baseUrl, apiKey: engine.apiKey });
      const result = await generateModelOutputs({ ...common, engine: client, engineInfo: { kind: 'openai-compatible', baseUrl: client.baseUrl }, signal: cancel.signal });
      out(`aep-generator: wrote ${result.modelOutputsUrl} (${result.rows.length} rows) with the engine at ${client.baseUrl}`);
      return 0;
    }
    const model = await resolveModel({ source: config.modelSource, revision: config.modelRevision, modelDir: config.modelDir, s3Client: s3 });
    out(`aep-generator: model ${config.modelSource}${model.origin === 's3' ? ` copied to ${model.model} (${model.copiedFiles} files)` : ''}` +
      ` served as "${config.modelName}"; run folder ${store.url}`);
    const result = await withVllm({
      model: model.model, servedModelName: config.modelName, revision: model.revision, seed: decoding.seed,
      dtype: config.engine.dtype, maxModelLen: config.engine.maxModelLen, gpuMemoryUtilization: config.engine.gpuMemoryUtilization,
      startupTimeoutMs: config.engine.startupTimeoutMs, env, onOutput: err,
    }, (proc, signal) => generateModelOutputs({
      ...common,
      engine: new OpenAIEngine({ baseUrl: proc.baseUrl }),
      engineInfo: { kind: 'vllm', baseUrl: proc.baseUrl, command: proc.command, startupMs: proc.startupMs },
      signal,
    }), { signal: cancel.signal });
    const s = result.manifest.stats;
    out(`aep-generator: wrote ${result.modelOutputsUrl} (${result.rows.length} rows, ${s.tokensGenerated} tokens, ` +
      `${s.tokensPerSecond ?? 0} tok/s, prompt mode ${result.manifest.promptMode.used}) and ${result.manifestUrl}`);
    return 0;
  } catch (e) {
    err(`aep-generator: ${((e as Error)?.message ?? String(e)).split('\n').join(' ')}\n`);
    return cancel.signal.aborted ? 143 : 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    client?.destroy();
  }
}
