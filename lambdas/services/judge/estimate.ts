/**
 * `aep estimate`: what a judge run would send and cost, before it starts. Counts the prompt tokens of every distinct
 * uncached prompt exactly as it would be sent (messages after switching, the judge model's tokenizer plus the chat
 * overhead rule of `token-count.ts`), one output token per request (`max_tokens` 1), and prices them at the preset's
 * real-time and Batch API prices.
 */
import type { MatchReport } from '../../core/eval-set/match.ts';
import { gpuJudgeCost, type GpuJudgeCost } from '../../core/judge/gpu-cost.ts';
import { PRICES_SOURCE, THROUGHPUT_ASSUMPTIONS } from '../../core/judge/gpu-instances.ts';
import { maxCompletionTokens, type JudgePreset } from '../../core/judge/presets.ts';
import type { ChatMessage } from '../../core/judge/prompt.ts';
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
  /** An open-weights judge: GPU time and dollars per instance type (paper estimate), with its assumptions. */
  selfHosted?: {
    /** Tokens at the start of every prompt (same in all; prefix caching computes them once). */
    sharedPrefixTokens: number;
    instances: GpuJudgeCost[];
    assumptions: string[];
  };
  match: MatchReport;
}

/** The messages as one text, for the common-prefix measure. */
function flatten(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${m.role}\n${m.content}`).join('\n');
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export async function estimateJudgeRun(options: {
  prepared: PreparedJudgeRun;
  preset: JudgePreset;
  cache: JudgeCache;
  counter: PromptTokenCounter;
  /** Instance types to price a self-hosted judge on (default: the preset's planned ones). */
  instanceTypes?: readonly string[];
}): Promise<JudgeEstimate> {
  const { prepared, preset, counter } = options;
  let prefix: string | undefined;
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
    const flat = flatten(job.messages);
    prefix = prefix === undefined ? flat : prefix.slice(0, commonPrefixLength(prefix, flat));
    const n = counter.count(job.messages);
    promptTokens += n;
    maxPromptTokens = Math.max(maxPromptTokens, n);
  }
  const requests = sent.size;
  const outputTokens = requests * maxCompletionTokens(preset.request);
  const usage = { prompt_tokens: promptTokens, completion_tokens: outputTokens, total_tokens: promptTokens + outputTokens };
  let selfHosted: JudgeEstimate['selfHosted'];
  if (preset.selfHosted) {
    // the shared prefix as one user message, less the chat overhead counted once per request
    const sharedPrefixTokens = requests > 1 && prefix ? Math.max(0, counter.count([{ role: 'user', content: prefix }]) - 6) : 0;
    const work = { promptTokens, requests, sharedPrefixTokens };
    selfHosted = {
      sharedPrefixTokens,
      instances: (options.instanceTypes ?? preset.selfHosted.gpu.instanceTypes).map((t) => gpuJudgeCost(preset, t, work)),
      assumptions: [
        `prices: ${PRICES_SOURCE}`,
        `prefill at ${THROUGHPUT_ASSUMPTIONS.mfuSingleGpu * 100} % MFU on one GPU, ${THROUGHPUT_ASSUMPTIONS.mfuTensorParallel * 100} % split over GPUs without NVLink; 2 × ${preset.selfHosted.paramsBillions}B FLOPs per prompt token (${THROUGHPUT_ASSUMPTIONS.source})`,
        `start-up ${THROUGHPUT_ASSUMPTIONS.startupFixedSeconds} s + ${THROUGHPUT_ASSUMPTIONS.startupSecondsPerWeightGb} s per GB of weights (${preset.selfHosted.gpu.weightsGb} GB), billed like judging`,
        `prompt tokens as on the tokenizer line; the prefix shared by all prompts (${sharedPrefixTokens} tokens: the template up to the instruction) computed once (prefix caching)`,
        'the whole instance is billed while the engine runs; no idle time, no spot interruption counted',
      ],
    };
  }
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
    ...(selfHosted ? { selfHosted } : {}),
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
    ...(e.selfHosted ? [] : [`  cost: ${money(e.costRealTimeUsd)} real-time · ${money(e.costBatchUsd)} with --batch-api`]),
    `  tokenizer: ${e.tokenizer.rule}`,
  ];
  if (e.selfHosted) {
    lines.push(`  self-hosted on vLLM (paper estimate; shared prompt prefix ${e.selfHosted.sharedPrefixTokens} tokens, computed once):`);
    for (const c of e.selfHosted.instances) {
      lines.push(`    ${c.instanceType.padEnd(13)} ${c.instanceGpus} × ${c.gpu} (tensor parallel ${c.tensorParallel}): `
        + `${c.prefillTokensPerSecond} prefill tok/s, ${Math.round(c.startupSeconds)} s start + ${Math.round(c.judgeSeconds)} s judging = `
        + `${c.gpuMinutes.toFixed(1)} GPU-min · ${formatUsd(c.onDemandUsd)} on-demand · ${formatUsd(c.spotUsd)} spot`);
    }
    lines.push('  assumptions:', ...e.selfHosted.assumptions.map((a) => `    - ${a}`));
  }
  if (!e.comparableToLeaderboard) lines.push('  note: this judge is not the leaderboard judge; numbers are not comparable to it');
  return lines.join('\n');
}
