/**
 * What a self-hosted judge engine used (the GPU judge job's `judge/engine-job.json`), priced at list price: the
 * GPU-minutes it was up times the per-GPU hourly price of the instance type its preset is planned for (the first
 * one that has enough GPUs), on demand and at the assumed spot level. An estimate of the bill, not the bill: Batch
 * may have picked another instance type, and spot prices move.
 */
import type { JudgePreset } from './presets.ts';
import { findGpuInstance, PRICES_SOURCE } from './gpu-instances.ts';

export interface EngineUse {
  gpus: number;
  gpuMinutes: number;
  upMs: number;
  startupMs: number;
  /** Dollars at the instance's list price per GPU-hour; null when the preset plans no known instance. */
  usd: { instance: string; onDemand: number; spot: number; source: string } | null;
}

/** The engine use of a job summary (`engine` of engine-job.json), or undefined when no engine was started. */
export function engineUse(preset: JudgePreset, engine: { started?: boolean; gpus?: number; gpuMinutes?: number; upMs?: number; startupMs?: number } | undefined): EngineUse | undefined {
  if (!engine?.started || typeof engine.gpuMinutes !== 'number' || typeof engine.gpus !== 'number') return undefined;
  const planned = preset.selfHosted?.gpu.instanceTypes ?? [];
  const instance = planned.map((name) => findGpuInstance(name)).find((i) => i !== undefined && i.gpus >= engine.gpus!);
  const perGpuHour = (usdPerHour: number) => (engine.gpuMinutes! / 60) * (usdPerHour / instance!.gpus);
  return {
    gpus: engine.gpus, gpuMinutes: engine.gpuMinutes, upMs: engine.upMs ?? 0, startupMs: engine.startupMs ?? 0,
    usd: instance ? { instance: instance.name, onDemand: perGpuHour(instance.onDemandUsdPerHour), spot: perGpuHour(instance.spotUsdPerHour), source: PRICES_SOURCE } : null,
  };
}
