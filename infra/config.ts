/**
 * Typed stack configuration, read from `cdk.json` context key `aep` (overridable with `-c aep='{"…"}'`).
 * Validated once in bin/app.ts; constructs receive plain typed props and never read the environment.
 */
import { z } from 'zod';
import { GenerationConfigSchema, JudgeConfigSchema } from '../lambdas/core/run/run-config.ts';

export const ModelSourceSchema = z.discriminatedUnion('kind', [
  /** A Hugging Face repository: the watcher evaluates each new commit of `revision` (a branch). */
  z.object({ kind: z.literal('huggingface'), repo: z.string().min(1), revision: z.string().default('main') }),
  /** Checkpoints uploaded to the results bucket under `checkpoints/<name>/…`; a `READY` object marks one complete. */
  z.object({ kind: z.literal('s3'), name: z.string().min(1) }),
]);

export const StackConfigSchema = z.object({
  /** What the schedule watches, and the model name of runs it starts. */
  modelSource: ModelSourceSchema.default({ kind: 'huggingface', repo: 'W-61/hh-llama32-1b-sft', revision: 'main' }),
  /** Leaderboard name of the model (default: the repo's or checkpoint's name). */
  modelName: z.string().optional(),
  judge: JudgeConfigSchema.prefault({}),
  /** calibration.json of a non-official judge (a key in the results bucket, s3:// or https URL), "shipped" or "none"; see README "Two scales". */
  calibration: z.string().min(1).optional(),
  generation: GenerationConfigSchema.prefault({}),
  gpu: z.object({
    instanceTypes: z.array(z.string()).min(1).default(['g6.xlarge', 'g5.xlarge']),
    /** Spot first; an on-demand environment is always behind it in the queue. */
    spot: z.boolean().default(true),
    maxvCpus: z.number().int().positive().default(16),
    /** Root volume for the vLLM image and model weights. */
    rootVolumeGiB: z.number().int().min(30).default(200),
    jobTimeoutMinutes: z.number().int().positive().default(120),
    /**
     * Minutes a job may wait in RUNNABLE at the head of the queue (no GPU capacity, or no instance type that fits)
     * before Batch cancels it, so the run fails with that reason instead of waiting for the 30-hour workflow
     * timeout. Batch accepts 10 minutes to 24 hours.
     */
    runnableTimeoutMinutes: z.number().int().min(10).max(1440).default(60),
    /** The vLLM flags of the container. */
    maxModelLen: z.number().int().positive().default(4096),
    gpuMemoryUtilization: z.number().gt(0).max(1).default(0.9),
  }).prefault({}),
  /**
   * The GPU judge job, which judges runs whose judge is an open-weights preset (e.g. `vllm_llama3_8b`) on the same
   * job queue and instance types as generation (`gpu`): the instance types must fit the preset (an 8B judge fits a
   * g6.xlarge; the 70B needs e.g. g6e.12xlarge with `gpus: 4`).
   */
  judgeGpu: z.object({
    /** GPUs of the job, the judge vLLM's tensor-parallel size. */
    gpus: z.number().int().min(1).max(8).default(1),
    jobTimeoutMinutes: z.number().int().positive().default(180),
  }).prefault({}),
  /**
   * Secrets Manager secret (name or ARN) holding a Hugging Face token, for gated or private models only. Unset: no
   * token at all (Hugging Face answers 401 to an invalid token even for public repositories).
   */
  huggingFaceTokenSecret: z.string().min(1).optional(),
  /** EventBridge Scheduler expression for the checkpoint watcher, or null for none. */
  schedule: z.string().nullable().default('rate(6 hours)'),
  budgets: z.object({
    /** Refuse to start a run whose judge estimate exceeds this many dollars. */
    maxJudgeCostUsd: z.number().positive().default(25),
  }).prefault({}),
  /** Days judge-cache objects are kept (a cache, not results). */
  judgeCacheDays: z.number().int().positive().default(90),
});

export type StackConfig = z.infer<typeof StackConfigSchema>;

/** Parses the `aep` context value (an object from cdk.json, or a JSON string from `-c`). */
export function parseStackConfig(value: unknown): StackConfig {
  const raw = typeof value === 'string' ? JSON.parse(value) : value ?? {};
  const parsed = StackConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`cdk.json context "aep" is invalid: ${issues}`);
  }
  return parsed.data;
}
