/**
 * The generator container's configuration, read once from the environment (AWS Batch job definition + overrides;
 * the Hugging Face token comes from Secrets Manager as HF_TOKEN and is only passed on to vLLM, never read or logged).
 */
import { z } from 'zod';
import { UsageError } from '../../lambdas/core/errors.ts';
import type { DecodingParams } from '../../lambdas/core/generation/decoding.ts';

export interface GeneratorConfig {
  /** The run folder, `s3://bucket/runs/<id>/` (or a local directory for tests). */
  runUrl: string;
  /** Hugging Face id, `s3://` checkpoint prefix, or local directory. */
  modelSource: string;
  modelRevision: string | null;
  /** The name vLLM serves and requests use. */
  modelName: string;
  generator: string;
  /** Where an `s3://` checkpoint is copied. */
  modelDir: string;
  /** Inline prompt template with `{instruction}`; null = chat with the Llama-3 fallback. */
  promptTemplate: string | null;
  decoding: Partial<DecodingParams>;
  concurrency: number | undefined;
  maxInstances: number | undefined;
  /** Eval set override: path, http(s) URL or `s3://` object; else the pinned public file. */
  evalSet: string | undefined;
  cacheDir: string;
  engine: { dtype: 'auto' | 'bfloat16' | 'float16'; maxModelLen: number; gpuMemoryUtilization: number; startupTimeoutMs: number };
  /** Seconds between progress lines on stderr. */
  progressIntervalMs: number;
}

const optionalText = z.string().trim().min(1).optional();
const int = (min: number) => z.coerce.number().int().min(min).optional();
const schema = z.object({
  RUN_URL: z.string({ error: 'is required (the run folder, s3://bucket/runs/<id>/)' }).trim().min(1),
  MODEL_SOURCE: z.string({ error: 'is required (a Hugging Face id or an s3:// checkpoint prefix)' }).trim().min(1),
  MODEL_REVISION: optionalText,
  MODEL_NAME: optionalText,
  GENERATOR_NAME: optionalText,
  MODEL_DIR: z.string().default('/tmp/aep-model'),
  PROMPT_TEMPLATE: z.string().min(1).optional(),
  MAX_NEW_TOKENS: int(1),
  TEMPERATURE: z.coerce.number().min(0).optional(),
  TOP_P: z.coerce.number().gt(0).max(1).optional(),
  SEED: int(0),
  CONCURRENCY: int(1),
  MAX_INSTANCES: int(1),
  EVAL_SET: optionalText,
  AEP_CACHE_DIR: z.string().default('/tmp/aep-cache'),
  ENGINE_DTYPE: z.enum(['auto', 'bfloat16', 'float16']).default('auto'),
  ENGINE_MAX_MODEL_LEN: z.coerce.number().int().min(256).default(4096),
  ENGINE_GPU_MEMORY_UTILIZATION: z.coerce.number().gt(0).max(1).default(0.9),
  ENGINE_STARTUP_TIMEOUT_S: z.coerce.number().positive().default(1800),
  PROGRESS_INTERVAL_S: z.coerce.number().positive().default(30),
});

/** The served name for a source: the HF id itself, else the last path segment of the checkpoint. */
function defaultModelName(source: string): string {
  if (!source.startsWith('s3://') && !source.startsWith('/') && !source.startsWith('.')) return source;
  return source.replace(/\/+$/, '').split('/').pop() || 'model';
}

/** Parses the environment; throws `UsageError` naming every bad variable. */
export function readConfig(env: Record<string, string | undefined>): GeneratorConfig {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(blankless);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new UsageError(`bad configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const modelName = e.MODEL_NAME ?? defaultModelName(e.MODEL_SOURCE);
  return {
    runUrl: e.RUN_URL,
    modelSource: e.MODEL_SOURCE,
    modelRevision: e.MODEL_REVISION ?? null,
    modelName,
    generator: e.GENERATOR_NAME ?? modelName,
    modelDir: e.MODEL_DIR,
    promptTemplate: e.PROMPT_TEMPLATE ?? null,
    decoding: { maxNewTokens: e.MAX_NEW_TOKENS, temperature: e.TEMPERATURE, topP: e.TOP_P, seed: e.SEED },
    concurrency: e.CONCURRENCY,
    maxInstances: e.MAX_INSTANCES,
    evalSet: e.EVAL_SET,
    cacheDir: e.AEP_CACHE_DIR,
    engine: {
      dtype: e.ENGINE_DTYPE, maxModelLen: e.ENGINE_MAX_MODEL_LEN, gpuMemoryUtilization: e.ENGINE_GPU_MEMORY_UTILIZATION,
      startupTimeoutMs: e.ENGINE_STARTUP_TIMEOUT_S * 1000,
    },
    progressIntervalMs: e.PROGRESS_INTERVAL_S * 1000,
  };
}
