/**
 * Pure mapping from what the judge API returned to judgements: logprob parsing (official parser, in the judge's
 * order), cost from `usage` and the preset's prices, and cache entries in both directions.
 */
import { parseLogprobPreference } from '../../core/judge/logprob-parser.ts';
import { parseVerdictPreference } from '../../core/judge/verdict-parser.ts';
import type { JudgePreset, TokenPrices } from '../../core/judge/presets.ts';
import type { CachedJudgement, JudgeAttemptOutcome, KeyJudgement, RawCompletion, TokenUsage } from './types.ts';

/** USD for `usage` at `prices` (per 1M tokens); null when either is unknown. */
export function costUsd(usage: TokenUsage | null, prices: TokenPrices | null): number | null {
  if (!usage || !prices) return null;
  return (usage.prompt_tokens * prices.inputPerMillion + usage.completion_tokens * prices.outputPerMillion) / 1e6;
}

/** The preset's prices for real-time or Batch API calls (null for a custom model). */
export function pricesFor(preset: JudgePreset, via: 'api' | 'batch'): TokenPrices | null {
  if (!preset.prices) return null;
  return via === 'batch' ? preset.prices.batch : preset.prices.realTime;
}

/** Parses a raw completion in the judge's order; a parse failure is NaN plus its reason (a result, not a failure). */
export function parseJudgeOrder(
  rawCompletion: RawCompletion,
  preset: JudgePreset,
): { judgeOrderPreference: number; parseError?: string } {
  const p = preset.parser;
  const parsed = p.kind === 'verdict' ? parseVerdictPreference(rawCompletion, p.outputsToMatch) : parseLogprobPreference(rawCompletion, p);
  return parsed.ok ? { judgeOrderPreference: parsed.preference } : { judgeOrderPreference: NaN, parseError: parsed.reason };
}

/** A successful attempt as a judgement bought now. */
export function judgementFromOutcome(options: {
  outcome: Extract<JudgeAttemptOutcome, { ok: true }>;
  preset: JudgePreset;
  via: 'api' | 'batch';
  attempts: number;
}): Extract<KeyJudgement, { ok: true }> {
  const { outcome, preset, via, attempts } = options;
  return {
    ok: true,
    source: via,
    ...parseJudgeOrder(outcome.rawCompletion, preset),
    rawCompletion: outcome.rawCompletion,
    usage: outcome.usage,
    costUsd: costUsd(outcome.usage, pricesFor(preset, via)),
    latencyMs: outcome.latencyMs,
    attempts,
    responseModel: outcome.responseModel,
  };
}

/** What the cache stores for a judgement. */
export function cacheEntryOf(options: {
  key: string;
  judgement: Extract<KeyJudgement, { ok: true }>;
  judgeModel: string;
  now: Date;
}): CachedJudgement {
  const { key, judgement, judgeModel, now } = options;
  return {
    key,
    judgeModel,
    rawCompletion: judgement.rawCompletion,
    usage: judgement.usage,
    costUsd: judgement.costUsd,
    latencyMs: judgement.latencyMs,
    via: judgement.source === 'batch' ? 'batch' : 'api',
    createdAt: now.toISOString(),
    responseModel: judgement.responseModel,
  };
}

/** A cache hit as a judgement (re-parsed, so a parser fix applies to old entries too). */
export function judgementFromCache(entry: CachedJudgement, preset: JudgePreset): Extract<KeyJudgement, { ok: true }> {
  return {
    ok: true,
    source: 'cache',
    ...parseJudgeOrder(entry.rawCompletion, preset),
    rawCompletion: entry.rawCompletion,
    usage: entry.usage,
    costUsd: entry.costUsd,
    latencyMs: entry.latencyMs,
    attempts: 0,
    responseModel: entry.responseModel ?? null,
  };
}
