/** The file a judge chunk writes (`judge/chunk-NNNN.json`): its rows in order, and what judging them took. */
import type { JudgeChunk } from './layout.ts';

export interface JudgeChunkStats {
  rows: number;
  /** Judged by a paid call in this invocation (real-time or batch). */
  paid: number;
  cached: number;
  identical: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface JudgeChunkFile {
  version: 1;
  chunk: JudgeChunk;
  /** annotations.json rows (official format plus our extras), in reference order. */
  rows: Record<string, unknown>[];
  stats: JudgeChunkStats;
  startedAt: string;
  finishedAt: string;
}

export function emptyStats(): JudgeChunkStats {
  return { rows: 0, paid: 0, cached: 0, identical: 0, failed: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
}

export function addStats(a: JudgeChunkStats, b: JudgeChunkStats): JudgeChunkStats {
  return {
    rows: a.rows + b.rows, paid: a.paid + b.paid, cached: a.cached + b.cached, identical: a.identical + b.identical,
    failed: a.failed + b.failed, promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens, costUsd: a.costUsd + b.costUsd,
  };
}

/** What a Batch API job answered and cost, once collected (the chunks then count these rows as cached). */
export interface BatchCollected {
  rows: number;
  costUsd: number;
  promptTokens: number;
  completionTokens: number;
  status: string;
  collectedAt: string;
}

export interface BatchRecord {
  batchId: string;
  requests: number;
  submittedAt: string;
  collected?: BatchCollected;
}
