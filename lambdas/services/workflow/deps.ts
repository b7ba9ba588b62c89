/**
 * What the workflow steps need from the outside world. Lambda handlers build it from the environment
 * (`handlers/runtime.ts`); `aep run` builds it for a local directory or any S3 endpoint. The steps themselves are
 * the same code in both places.
 */
import type { AssetOverridesSchema } from '../../core/run/run-config.ts';
import type { AssetSource, BlobStore, LogPort, ReplicateRunner } from '../../ports.ts';
import type { z } from 'zod';

export type AssetOverrides = z.infer<typeof AssetOverridesSchema>;

export interface WorkflowDeps {
  /** The results store: run folders live under `runs/<id>/`. */
  store: BlobStore;
  /** Benchmark assets, honouring a run's overrides. */
  assetsFor(overrides: AssetOverrides): AssetSource;
  /** Reads a file named by a run's config (a key in the store, `s3://…`, a path or an http(s) URL). */
  readSource(location: string): Promise<{ text: string; source: string }>;
  /** The judge's API key (Secrets Manager in the cloud, OPENAI_API_KEY locally); undefined when none is set. */
  openAiKey(): Promise<string | undefined>;
  log: LogPort;
  now(): Date;
  versions: { pipeline: string; node: string };
  /** Runs LC bootstrap replicates (default: in this thread). */
  replicateRunner?: ReplicateRunner;
  /**
   * An open-weights judge with no endpoint of its own runs as the workflow's GPU job ("Judge On GPU", the cloud);
   * without this, its judge chunks call `judgeClient` (`aep run --judge-engine vllm` points it at a local vLLM).
   */
  judgeOnGpuJob?: boolean;
  /**
   * A judge engine this process runs (`aep run --judge-engine vllm`): Aggregate stops it (judging is over) and
   * records what it used, as the GPU judge job does in `judge/engine-job.json`.
   */
  judgeEngineUse?: () => Promise<{ started: boolean; gpus: number; gpuMinutes: number; upMs: number; startupMs: number } | undefined>;
  /** Whether an execution (a lease holder, `run-lease.ts`) still runs; without it, another holder is `unknown`. */
  executionState?: (execution: string) => Promise<import('./run-lease.ts').ExecutionState>;
}
