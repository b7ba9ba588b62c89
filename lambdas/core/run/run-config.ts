/**
 * The configuration of one evaluation run: what the workflow receives as execution input, the same whether it
 * runs on AWS or locally. Validated with zod at every edge (CLI flags, Step Functions input, cdk.json context).
 * The run id is derived from it, so the same checkpoint with the same settings is never evaluated twice.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_JUDGE_PRESET } from '../judge/presets.ts';

export const GenerationConfigSchema = z.object({
  maxNewTokens: z.number().int().positive().default(512),
  temperature: z.number().min(0).default(0.7),
  topP: z.number().gt(0).max(1).default(0.9),
  seed: z.number().int().optional(),
  /** A prompt template text containing `{instruction}` (completions mode); absent = chat with fallback. */
  promptTemplate: z.string().optional(),
  concurrency: z.number().int().positive().optional(),
});

export const JudgeConfigSchema = z.object({
  preset: z.string().default(DEFAULT_JUDGE_PRESET),
  model: z.string().optional(),
  /** OpenAI-compatible base URL including `/v1`; default OpenAI. */
  baseUrl: z.string().url().optional(),
  mode: z.enum(['realtime', 'batch-api']).default('realtime'),
  chunkSize: z.number().int().positive().default(50),
  /** Judge calls in flight inside one chunk. */
  concurrency: z.number().int().positive().default(8),
  /** Chunks judged at once (Map state MaxConcurrency). */
  parallelChunks: z.number().int().positive().default(4),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  /** Seconds one judge request may take before it is abandoned and retried (a slow judge needs more). */
  requestTimeoutSeconds: z.number().positive().default(60),
});

export const AssetOverridesSchema = z.object({
  evalSet: z.string().optional(),
  judgeTemplate: z.string().optional(),
  gamed: z.string().optional(),
  instructionDifficulty: z.string().optional(),
  leaderboard: z.string().optional(),
});

export const RunConfigSchema = z.object({
  /** The model to evaluate: a Hugging Face id, the name an engine serves, or a label for given outputs. */
  model: z.string().min(1),
  /** Model revision: a Hugging Face commit, an S3 checkpoint version, or the outputs' hash. */
  revision: z.string().min(1).optional(),
  /** Where the weights are, for the GPU job: `hf://<repo>` (default, from `model`) or `s3://bucket/prefix/`. */
  modelUri: z.string().optional(),
  /** Leaderboard and `generator` name (default: the model's last path segment). */
  name: z.string().min(1).optional(),
  /** Existing `model_outputs.json` (a key in the store, or a URL): skips generation. */
  modelOutputs: z.string().optional(),
  /** Evaluate only this many instructions, chosen by the official `max_instances` rule (smoke tests). */
  maxInstances: z.number().int().positive().optional(),
  /** Refuse to start when the judge could cost more than this many dollars (checked before anything is spent). */
  budgetUsd: z.number().positive().optional(),
  generation: GenerationConfigSchema.prefault({}),
  judge: JudgeConfigSchema.prefault({}),
  assets: AssetOverridesSchema.prefault({}),
  /**
   * calibration.json of the judge (a key in the store, a path or a URL), or "none". Default: the shipped calibration
   * when the judge has one (gpt5_nano), else none. Adds the official-scale estimate; judge-scale numbers unchanged.
   */
  calibration: z.string().min(1).optional(),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/** The leaderboard / generator name of a run. */
export function displayName(config: Pick<RunConfig, 'model' | 'name'>): string {
  return config.name ?? config.model.split('/').filter(Boolean).at(-1) ?? config.model;
}

/** JSON with sorted keys, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The part of the config that changes the numbers (not throughput knobs such as concurrency). */
function scoringPart(c: RunConfig) {
  const { concurrency: _gc, ...generation } = c.generation;
  const { concurrency: _jc, parallelChunks: _pc, rpm: _r, tpm: _t, chunkSize: _cs, mode: _m, requestTimeoutSeconds: _rt, ...judge } = c.judge;
  // budgetUsd is a guard, not a setting of the numbers: it is left out
  return { model: c.model, revision: c.revision, modelUri: c.modelUri, name: c.name, modelOutputs: c.modelOutputs, maxInstances: c.maxInstances, generation, judge, assets: c.assets };
}

/** Short hash of what determines the numbers of a run. */
export function configHash(config: RunConfig): string {
  return createHash('sha256').update(canonicalJson(scoringPart(config))).digest('hex').slice(0, 10);
}

/**
 * The run id (also the Step Functions execution name): `<name>-<revision>-<config hash>`, at most 80 characters of
 * `[A-Za-z0-9_-]`. The same model, revision and settings always give the same id.
 */
export function runIdFor(config: RunConfig): string {
  const slug = (s: string, max: number) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max) || 'x';
  const rev = config.revision ? slug(config.revision, 12) : 'latest';
  return `${slug(displayName(config), 54)}-${rev}-${configHash(config)}`;
}
