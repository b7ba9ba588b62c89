/**
 * The official `logprob_parser` with `is_binarize: false` (alpaca_eval `completion_parsers.py`, spec §3.6).
 *
 * Input: one raw chat-completion choice as stored by the official decoder (`logprobs.content[0].top_logprobs`).
 * Output: `2 − P(first shown output is better)`, where P = exp(lp_num − logsumexp(lp_den…)) over the exact tokens
 * "m" / "M". Every case in which the official pipeline ends with NaN is returned as `{ ok: false, reason }`, never
 * thrown: one unparsable judgement must not abort a run.
 */
import { unswitchPreference } from './order-randomisation.ts';

/** Parser settings; the AlpacaEval 2.0 defaults are numerator "m", denominators ["m", "M"]. */
export interface LogprobParserSettings {
  numeratorToken?: string;
  denominatorTokens?: readonly string[];
}

/** A parsed judgement in the judge's own order: 1 = first shown output ("m") wins, 2 = second wins. */
export type LogprobParseResult = { ok: true; preference: number } | { ok: false; reason: string };

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `scipy.special.logsumexp` as numpy computes it: a = max (0 when not finite), `log(sum(exp(x − a))) + a`.
 * All-−∞ input gives −∞.
 */
export function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max || Number.isNaN(v)) max = v;
  const shift = Number.isFinite(max) ? max : 0;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - shift);
  return Math.log(sum) + shift;
}

function fail(reason: string): LogprobParseResult {
  return { ok: false, reason };
}

/** Token → logprob for the tokens of interest, the last occurrence winning (a Python dict comprehension). */
function tokenLogprobs(topLogprobs: unknown[], wanted: ReadonlySet<string>): Map<string, number> | string {
  const map = new Map<string, number>();
  for (const entry of topLogprobs) {
    if (!isRecord(entry) || !('token' in entry)) return 'a top_logprobs entry has no "token"';
    const token = entry.token;
    if (typeof token !== 'string' || !wanted.has(token)) continue;
    const logprob = entry.logprob;
    if (typeof logprob !== 'number') return `the logprob of token "${token}" is not a number`;
    map.set(token, logprob);
  }
  return map;
}

/**
 * Parses one raw judge choice into the judge-order preference `2 − P(numerator)`.
 *
 * @example
 * parseLogprobPreference({ logprobs: { content: [{ top_logprobs: [{ token: 'M', logprob: 0 }] }] } });
 * // { ok: true, preference: 2 }
 */
export function parseLogprobPreference(rawChoice: unknown, settings: LogprobParserSettings = {}): LogprobParseResult {
  const numerator = settings.numeratorToken ?? 'm';
  const denominators = settings.denominatorTokens ?? ['m', 'M'];
  if (rawChoice === '' || rawChoice === null || rawChoice === undefined) return fail('the completion is empty');
  if (!isRecord(rawChoice)) return fail('the completion is not an object');
  const logprobs = rawChoice.logprobs;
  if (!isRecord(logprobs) || !('content' in logprobs)) return fail('the completion has no logprobs.content');
  const content = logprobs.content;
  if (!Array.isArray(content) || content.length === 0) return fail('logprobs.content is empty');
  for (const item of content) {
    if (!isRecord(item) || !Array.isArray(item.top_logprobs)) return fail('a logprobs.content item has no top_logprobs');
  }
  if (content.length !== 1) return fail(`expected 1 generated token with logprobs, got ${content.length}`);

  const wanted = new Set([...denominators, numerator]);
  const map = tokenLogprobs((content[0] as Json).top_logprobs as unknown[], wanted);
  if (typeof map === 'string') return fail(map);
  if (map.size === 0) return fail(`none of the tokens ${[...wanted].map((t) => `"${t}"`).join(', ')} is in top_logprobs`);

  const lpNumerator = map.get(numerator) ?? -Infinity;
  const lpDenominator = logSumExp(denominators.map((t) => map.get(t) ?? -Infinity));
  const preference = 2 - Math.exp(lpNumerator - lpDenominator);
  if (Number.isNaN(preference)) return fail('the preference is NaN');
  return { ok: true, preference };
}

/** Options of {@link parseFinalPreference}: the row's switch flag plus the parser settings. */
export interface FinalPreferenceOptions extends LogprobParserSettings {
  isSwitched: boolean;
}

/**
 * Parses a raw judge choice and un-switches it: the stored preference, 1 + P(model output better) ∈ [1, 2].
 *
 * @example
 * parseFinalPreference(rawChoice, { isSwitched: isSwitchedOutputs(instruction) });
 */
export function parseFinalPreference(
  rawChoice: unknown,
  { isSwitched, ...settings }: FinalPreferenceOptions,
): LogprobParseResult {
  const parsed = parseLogprobPreference(rawChoice, settings);
  return parsed.ok ? { ok: true, preference: unswitchPreference(parsed.preference, { isSwitched }) } : parsed;
}
