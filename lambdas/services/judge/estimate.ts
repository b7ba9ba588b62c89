/**
 * `aep estimate`: what a judge run would send and cost, before it starts. Counts the prompt tokens of every distinct
 * uncached prompt exactly as it would be sent (messages after switching, the judge model's tokenizer plus the chat
 * overhead rule of `token-count.ts`), one output token per request (`max_tokens` 1), and prices them at the preset's
 * real-time and Batch API prices.
 */
import type { MatchReport } from '../../core/eval-set/match.ts';
import { maxCompletionTokens, type JudgePreset } from '../../core/judge/presets.ts';
import { costUsd } from './judgement.ts';
import type { PreparedJudgeRun } from './prepare.ts';
import { formatUsd } from './progress.ts';
import type { PromptTokenCounter, TokenizerChoice } from './token-count.ts';
import type { JudgeCache } from './types.ts';

export interface JudgeEstimate {
  annotator: string;
  judgeModel: string;
  comparableToLeaderboard: boolean;
  /** Annotation rows (matched rows). */
  rows: number;
  identical: number;
  /** Rows whose prompt is already in the cache. */
  cached: number;
  /** Requests that would be sent (distinct uncached prompts). */
  requests: number;
  /** Rows that would be sent (duplicates of a prompt share one request). */
  rowsToSend: number;
  promptTokens: number;
  outputTokens: number;
  /** Largest prompt of one request (context-length check). */
  maxPromptTokens: number;
  tokenizer: TokenizerChoice;
  /** Null when the model's prices are unknown. */
  costRealTimeUsd: number | null;
  costBatchUsd: number | null;
  match: MatchReport;
}

export async function estimateJudgeRun(options: {
  prepared: PreparedJudgeRun;
  preset: JudgePreset;
  cache: JudgeCache;
  counter: PromptTokenCounter;
}): Promise<JudgeEstimate> {
  const { prepared, preset, counter } = options;
  let identical = 0;
  let cached = 0;
  let rowsToSend = 0;
  let promptTokens = 0;
  let maxPromptTokens = 0;
  const sent = new Set<string>();
  const hits = new Map<string, boolean>();
  for (const job of prepared.jobs) {
    if (job.identical) {
      identical++;
      continue;
    }
    let hit = hits.get(job.key);
    if (hit === undefined) {
      hit = (await options.cache.get(job.key)) !== undefined;
      hits.set(job.key, hit);
    }
    if (hit) {
      cached++;
      continue;
    }
    rowsToSend++;
    if (sent.has(job.key)) continue;
    sent.add(job.key);
    const n = counter.count(job.messages);
    promptTokens += n;
    maxPromptTokens = Math.max(maxPromptTokens, n);
  }
  const requests = sent.size;
  const outputTokens = requests * maxCompletionTokens(preset.request);
  const usage = { prompt_tokens: promptTokens, completion_tokens: outputTokens, total_tokens: promptTokens + outputTokens };
  return {
    annotator: preset.name,
    judgeModel: preset.model,
    comparableToLeaderboard: preset.comparableToLeaderboard,
    rows: prepared.jobs.length,
    identical,
    cached,
    requests,
    rowsToSend,
    promptTokens,
    outputTokens,
    maxPromptTokens,
    tokenizer: counter.choice,
    costRealTimeUsd: costUsd(usage, preset.prices?.realTime ?? null),
    costBatchUsd: costUsd(usage, preset.prices?.batch ?? null),
    match: prepared.match,
  };
}

export function formatEstimate(e: JudgeEstimate): string {
  const money = (x: number | null) => (x === null ? 'unknown (no prices for this model)' : formatUsd(x));
  const m = e.match;
  const lines = [
    `estimate for ${e.annotator} (${e.judgeModel})`,
    `  rows: ${e.rows} (${m.nModel} model records matched to ${m.nReference} eval instructions; `
      + `${m.missing.length} missing, ${m.extra.length} extra, ${m.duplicates.length} duplicated)`,
    `  to send: ${e.rowsToSend} rows in ${e.requests} requests · cached: ${e.cached} · identical (no call): ${e.identical}`,
    `  prompt tokens: ${e.promptTokens} (largest request ${e.maxPromptTokens}) · output tokens: ${e.outputTokens}`,
    `  cost: ${money(e.costRealTimeUsd)} real-time · ${money(e.costBatchUsd)} with --batch-api`,
    `  tokenizer: ${e.tokenizer.rule}`,
  ];
  if (!e.comparableToLeaderboard) lines.push('  note: this judge is not the leaderboard judge; numbers are not comparable to it');
  return lines.join('\n');
}
