/**
 * `--judge-engine vllm`, shared by `aep run`, `aep judge` and `aep calibrate`: the two options, the refusals before
 * anything starts, and the line that reports what the engine used. The engine code loads only when the flag is given.
 */
import { spawnSync } from 'node:child_process';
import { Option } from 'commander';
import { UsageError } from '../../lambdas/core/errors.ts';
import type { JudgePreset } from '../../lambdas/core/judge/presets.ts';
import { positiveInt } from './common.ts';
import type { JudgeEngineUsage } from '../../lambdas/adapters/vllm-judge-engine.ts';

/**
 * Refuses `--judge-engine vllm` with another judge endpoint, the Batch API, a judge without open weights, or no
 * `vllm` on PATH. `nothing` ends each message (what was not done, e.g. "; nothing was started").
 */
export async function checkJudgeEngineFlags(o: { judgeBaseUrl?: string | undefined; batchApi?: boolean | undefined; preset: JudgePreset; env: NodeJS.ProcessEnv; nothing: string }): Promise<void> {
  const { selfHostedOf } = await import('../../lambdas/adapters/vllm-judge-engine.ts');
  if (o.judgeBaseUrl) throw new UsageError(`give one of --judge-engine vllm (start one) or --judge-base-url URL (a running judge server)${o.nothing}`);
  if (o.batchApi) throw new UsageError(`--batch-api is the OpenAI Batch API; a --judge-engine vllm judge runs on this machine${o.nothing}`);
  selfHostedOf(o.preset);
  if (spawnSync('sh', ['-c', 'command -v vllm'], { env: o.env }).status !== 0) {
    throw new UsageError(`--judge-engine vllm needs the vllm command on PATH (pip install vllm, on a GPU machine); or pass --judge-base-url URL of a running judge server${o.nothing}`);
  }
}

/** What the judge vLLM used, as one line: up time, start-up, GPUs and GPU-minutes (or why it never ran). */
export function engineUseLine(u: JudgeEngineUsage): string {
  if (u.failed) return 'the judge vLLM failed to start';
  if (!u.started) return 'judge vLLM not started (every judgement was cached)';
  return `judge vLLM up ${(u.upMs / 1000).toFixed(1)} s (start ${(u.startupMs / 1000).toFixed(1)} s) on ${u.gpus} GPU(s): ${((u.upMs / 60_000) * u.gpus).toFixed(2)} GPU-minutes`;
}

/** `--judge-engine vllm`; `what` says what the engine judges. */
export function judgeEngineOption(what: string): Option {
  return new Option('--judge-engine <engine>', `judge ${what} with an open-weights preset on a vLLM this command starts (prefix caching on; no API key needed)`).choices(['vllm']);
}

/** `--judge-tensor-parallel N`: the judge vLLM's GPUs. */
export function judgeTensorParallelOption(): Option {
  return new Option('--judge-tensor-parallel <n>', 'GPUs of the judge vLLM (default: the preset\'s least)').argParser(positiveInt);
}
