/**
 * The GPU time and dollars of judging with a self-hosted (open-weights) judge on one instance type — a paper
 * estimate from the assumptions of `gpu-instances.ts` (prefill FLOPs at an assumed MFU, a start-up time per GB of
 * weights), never a measurement. Pure.
 */
import { UsageError } from '../errors.ts';
import { GPU_INSTANCE_TYPES, THROUGHPUT_ASSUMPTIONS, type GpuInstanceType } from './gpu-instances.ts';
import type { JudgePreset } from './presets.ts';

export interface GpuJudgeWork {
  /** Prompt tokens of every request sent. */
  promptTokens: number;
  /** Requests sent. */
  requests: number;
  /** Tokens at the start of every prompt that are the same in all (computed once with prefix caching). */
  sharedPrefixTokens: number;
}

export interface GpuJudgeCost {
  instanceType: string;
  gpu: string;
  /** GPUs the engine uses (`--tensor-parallel-size`); the instance may have more (billed all the same). */
  tensorParallel: number;
  instanceGpus: number;
  /** Prompt tokens the engine computes (prefix cache hits taken out). */
  prefillTokens: number;
  prefillTokensPerSecond: number;
  startupSeconds: number;
  judgeSeconds: number;
  /** (start-up + judging) × GPUs of the instance, minutes. */
  gpuMinutes: number;
  instanceHours: number;
  onDemandUsd: number;
  spotUsd: number;
}

/** The least tensor-parallel size (1, 2, 4, 8) that holds the judge on this instance, or undefined when none does. */
export function tensorParallelFor(preset: JudgePreset, instance: GpuInstanceType): number | undefined {
  const need = preset.selfHosted!.gpu;
  return [1, 2, 4, 8].find((n) => n <= instance.gpus && n >= need.minGpus && n * instance.gpuMemoryGb >= need.minTotalMemoryGb);
}

export function gpuJudgeCost(preset: JudgePreset, instanceType: string, work: GpuJudgeWork): GpuJudgeCost {
  const sh = preset.selfHosted;
  if (!sh) throw new UsageError(`judge ${preset.name} is not self-hosted: it has no GPU cost`);
  const instance = GPU_INSTANCE_TYPES[instanceType];
  if (!instance) throw new UsageError(`unknown instance type "${instanceType}"; known: ${Object.keys(GPU_INSTANCE_TYPES).join(', ')}`);
  const tp = tensorParallelFor(preset, instance);
  if (tp === undefined) {
    throw new UsageError(`${preset.name} needs ${sh.gpu.minTotalMemoryGb} GB of GPU memory on at least ${sh.gpu.minGpus} GPU(s); `
      + `${instanceType} has ${instance.gpus} × ${instance.gpuMemoryGb} GB`);
  }
  const a = THROUGHPUT_ASSUMPTIONS;
  const mfu = tp === 1 || instance.nvlink ? a.mfuSingleGpu : a.mfuTensorParallel;
  const prefillTokensPerSecond = (mfu * instance.bf16Tflops * 1e12 * tp) / (2 * sh.paramsBillions * 1e9);
  const prefillTokens = Math.max(0, work.promptTokens - Math.max(0, work.requests - 1) * work.sharedPrefixTokens);
  const judgeSeconds = prefillTokens / prefillTokensPerSecond;
  const startupSeconds = work.requests === 0 ? 0 : a.startupFixedSeconds + a.startupSecondsPerWeightGb * sh.gpu.weightsGb;
  const seconds = startupSeconds + judgeSeconds;
  const instanceHours = seconds / 3600;
  return {
    instanceType, gpu: instance.gpu, tensorParallel: tp, instanceGpus: instance.gpus, prefillTokens,
    prefillTokensPerSecond: Math.round(prefillTokensPerSecond), startupSeconds, judgeSeconds,
    gpuMinutes: (seconds / 60) * instance.gpus, instanceHours,
    onDemandUsd: instanceHours * instance.onDemandUsdPerHour, spotUsd: instanceHours * instance.spotUsdPerHour,
  };
}
