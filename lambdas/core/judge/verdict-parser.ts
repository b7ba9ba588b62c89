/**
 * The official `regex_parser` for judges that answer in text (alpaca_eval `completion_parsers.py`, as used by
 * `weighted_alpaca_eval_gpt5_nano` with `outputs_to_match {1: "m", 2: "M"}` and batch size 1).
 *
 * Every pattern is searched in what is left of the completion; the match that starts first counts (on a tie, the
 * pattern listed first), and the search goes on after its end. alpaca_eval expects exactly as many matches as its
 * batch size (1): any other count makes the annotation NaN. The patterns are regular expressions, case-sensitive.
 * Output is in the judge's order: 1 = the first shown output wins, 2 = the second.
 */
import type { LogprobParseResult } from './logprob-parser.ts';

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keys matched in order, as `regex_parser` returns them. */
export function regexMatches(completion: string, outputsToMatch: Readonly<Record<string, string>>): string[] {
  const patterns = Object.entries(outputsToMatch).map(([key, pattern]) => ({ key, re: new RegExp(pattern, 'u') }));
  const keys: string[] = [];
  let rest = completion;
  for (;;) {
    let best: { key: string; index: number; end: number } | undefined;
    for (const { key, re } of patterns) {
      const m = re.exec(rest);
      if (m && (best === undefined || m.index < best.index)) best = { key, index: m.index, end: m.index + m[0].length };
    }
    if (!best) return keys;
    keys.push(best.key);
    // an empty match would never move on; alpaca_eval would loop forever, we stop
    rest = rest.slice(Math.max(best.end, best.index + 1));
  }
}

/** The completion text of a raw choice: `message.content`, else the decoder's `text`. */
export function completionText(rawCompletion: unknown): string | undefined {
  if (!isRecord(rawCompletion)) return undefined;
  const message = rawCompletion.message;
  if (isRecord(message) && typeof message.content === 'string') return message.content;
  return typeof rawCompletion.text === 'string' ? rawCompletion.text : undefined;
}

/** Parses one raw judge choice into the judge-order preference 1 or 2; NaN cases are `{ ok: false, reason }`. */
export function parseVerdictPreference(
  rawCompletion: unknown,
  outputsToMatch: Readonly<Record<'1' | '2', string>>,
): LogprobParseResult {
  const text = completionText(rawCompletion);
  if (text === undefined) return { ok: false, reason: 'the completion has no text' };
  const keys = regexMatches(text, outputsToMatch);
  if (keys.length !== 1) {
    return { ok: false, reason: `found ${keys.length} verdicts in the completion where exactly one is expected` };
  }
  return { ok: true, preference: Number(keys[0]) };
}
