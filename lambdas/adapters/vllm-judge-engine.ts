/**
 * A vLLM serving an open-weights judge preset (`aep run --judge-engine vllm`, `aep judge --judge-engine vllm`, the
 * judge job's container): `vllm serve` through the generation driver (`vllm-process.ts`) with the preset's weights,
 * pinned revision, dtype and context, the model's own chat template, prefix caching on (every judge prompt starts
 * with the same long template), and the judge's model id as served name, so requests, the judge cache keys and the
 * preflight are those of the preset. Started lazily — at the first judge client asked for, so a run whose judgements
 * are all cached, or a run whose generation vLLM still holds the GPU, does not start it early — and at most once.
 */
import { UsageError } from '../core/errors.ts';
import { selfHostedPresetNames, type JudgePreset } from '../core/judge/presets.ts';
import type { JudgeClient } from '../services/judge/types.ts';
import { OpenAIJudgeClient } from './openai-judge-client.ts';
import { startVllm, type VllmProcess, type VllmServeOptions } from './vllm-process.ts';

export interface JudgeEngineOptions {
  /** `--tensor-parallel-size`; default the preset's least GPU count. */
  tensorParallel?: number;
  /** The `vllm` executable; default `vllm` from PATH. */
  command?: string;
  env?: Record<string, string | undefined>;
  /** Added after the preset's arguments. */
  extraArgs?: string[];
  startupTimeoutMs?: number;
  stopGraceMs?: number;
  onOutput?: (text: string) => void;
}

/** The preset's self-hosted settings; throws a `UsageError` naming the open-weights presets for any other judge. */
export function selfHostedOf(preset: JudgePreset): NonNullable<JudgePreset['selfHosted']> {
  if (!preset.selfHosted) {
    throw new UsageError(`judge ${preset.name} (${preset.model}) has no open weights to serve with vLLM; `
      + `open-weights presets: ${selfHostedPresetNames().join(', ')}`);
  }
  return preset.selfHosted;
}

/** The `vllm serve` options of a judge preset. */
export function judgeServeOptions(preset: JudgePreset, o: JudgeEngineOptions = {}): VllmServeOptions {
  const sh = selfHostedOf(preset);
  const tp = o.tensorParallel ?? sh.gpu.minGpus;
  return {
    model: sh.hfModel,
    servedModelName: preset.model,
    revision: sh.revision,
    dtype: sh.dtype,
    maxModelLen: sh.maxModelLen,
    extraArgs: [
      '--enable-prefix-caching',
      ...(tp > 1 ? ['--tensor-parallel-size', String(tp)] : []),
      ...sh.extraArgs,
      ...(o.extraArgs ?? []),
    ],
    ...(o.command ? { command: o.command } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.startupTimeoutMs ? { startupTimeoutMs: o.startupTimeoutMs } : {}),
    ...(o.stopGraceMs ? { stopGraceMs: o.stopGraceMs } : {}),
    ...(o.onOutput ? { onOutput: o.onOutput } : {}),
  };
}

/**
 * Judge requests in flight against an engine of our own (per judge run or chunk): enough to keep vLLM's continuous
 * batching full; a request costs the engine a prefill and one token, so more waiting requests only queue there.
 */
export const ENGINE_JUDGE_CONCURRENCY = 64;

/** What the engine did, for the run's summary (GPU time is `upMs × gpus`). */
export interface JudgeEngineUsage {
  started: boolean;
  /** A start was attempted and failed. */
  failed: boolean;
  startupMs: number;
  /** From the start command to stop (0 when never started). */
  upMs: number;
  gpus: number;
  command: string[];
}

/** A judge vLLM started on first use. */
export class LazyJudgeEngine {
  private proc: Promise<VllmProcess> | undefined;
  private startedAt = 0;
  private stoppedAt = 0;
  private readonly serve: VllmServeOptions;

  constructor(readonly preset: JudgePreset, private readonly options: JudgeEngineOptions = {}) {
    this.serve = judgeServeOptions(preset, options);
  }

  /** Starts vLLM (once) and resolves when it serves the judge model. */
  engine(): Promise<VllmProcess> {
    if (!this.proc) {
      this.startedAt = Date.now();
      this.proc = startVllm(this.serve);
    }
    return this.proc;
  }

  /**
   * A judge client on the engine, for `preset` (which must be the engine's). The engine starts at the client's first
   * request, not before: a chunk whose rows are all cached never starts it, nor does the run's preflight (before
   * generation, which may need the GPU). No models check (`describeModel`): the engine is started with the preset's
   * model as served name and is ready only once `/v1/models` lists it; the first-row probe still checks the answer.
   */
  client(preset: JudgePreset, apiKey = 'EMPTY'): JudgeClient {
    if (preset.model !== this.preset.model) {
      throw new UsageError(`the judge engine serves ${this.preset.model}, not ${preset.model}`);
    }
    let inner: Promise<OpenAIJudgeClient> | undefined;
    const get = () => (inner ??= this.engine().then((proc) =>
      new OpenAIJudgeClient({ model: preset.model, apiKey, baseUrl: proc.baseUrl, request: preset.request })));
    return {
      model: preset.model,
      complete: async (request) => (await get()).complete(request),
    };
  }

  /** Stops the engine when it was started; safe to call more than once. */
  async stop(): Promise<void> {
    if (!this.proc) return;
    const proc = await this.proc.catch(() => undefined);
    await proc?.stop();
    if (!this.stoppedAt) this.stoppedAt = Date.now();
  }

  async usage(): Promise<JudgeEngineUsage> {
    const proc = this.proc ? await this.proc.catch(() => undefined) : undefined;
    const tp = this.serve.extraArgs?.includes('--tensor-parallel-size')
      ? Number(this.serve.extraArgs[this.serve.extraArgs.indexOf('--tensor-parallel-size') + 1]) : 1;
    return {
      started: proc !== undefined,
      failed: this.proc !== undefined && proc === undefined,
      startupMs: proc?.startupMs ?? 0,
      upMs: this.proc ? (this.stoppedAt || Date.now()) - this.startedAt : 0,
      gpus: tp,
      command: proc?.command ?? [],
    };
  }
}
