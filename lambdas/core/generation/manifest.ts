/**
 * The `generation` section of a run manifest (written as `generation.json` next to `model_outputs.json`): what
 * produced the outputs and how fast.
 */
import type { DecodingParams } from './decoding.ts';
import type { PromptModeRequest, PromptModeUsed } from './prompt-mode.ts';
import type { RunStats } from './stats.ts';

/** The engine a run talked to. */
export interface EngineInfo {
  /** `openai-compatible`: an external server given by URL; `vllm`: a `vllm serve` process this run started. */
  kind: 'openai-compatible' | 'vllm';
  baseUrl: string;
  /** For a spawned engine: the command line (no secrets: tokens travel in the environment). */
  command?: string[];
  /** For a spawned engine: time from spawn to healthy. */
  startupMs?: number;
}

export interface GenerationManifest {
  status: 'succeeded' | 'failed';
  /** One-line reason when failed. */
  error?: string;
  engine: EngineInfo;
  /** The model name the engine serves. */
  model: string;
  /** Model revision (Hugging Face commit, tag or branch), when known. */
  revision: string | null;
  /** The `generator` field of every output row. */
  generator: string;
  promptMode: {
    requested: PromptModeRequest['kind'];
    /** The mode that produced the rows; `mixed` if rows differ (e.g. resumed across a fallback). */
    used: PromptModeUsed | 'mixed' | null;
    rowsByMode: Partial<Record<PromptModeUsed, number>>;
    /** Template source (file or URL) for `template` mode. */
    templateSource: string | null;
    /** The template text actually used (the file's, or the Llama-3 fallback), null for chat. */
    template: string | null;
    /** Why the fallback was taken, when it was. */
    fallbackReason: string | null;
  };
  decoding: DecodingParams & { sampling: boolean };
  evalSet: {
    source: string;
    sha256: string;
    /** Rows in the eval set. */
    size: number;
    maxInstances: number | null;
    /** Rows selected for generation. */
    rows: number;
  };
  concurrency: number;
  stats: RunStats;
  /** Where the outputs and the checkpoint are. */
  outputs: { modelOutputs: string; checkpoint: string };
  startedAt: string;
  finishedAt: string;
}

/** The single mode of all rows, `mixed` when they differ, null without rows. */
export function usedPromptMode(rowsByMode: Partial<Record<PromptModeUsed, number>>): PromptModeUsed | 'mixed' | null {
  const modes = (Object.keys(rowsByMode) as PromptModeUsed[]).filter((m) => (rowsByMode[m] ?? 0) > 0);
  if (modes.length === 0) return null;
  return modes.length === 1 ? modes[0]! : 'mixed';
}
