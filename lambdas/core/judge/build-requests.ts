/**
 * Turns matched rows into judge jobs (spec §3.2–§3.4): the switch decision, the chat messages in judged order, the
 * identical-outputs shortcut, and a content-address key for the judgement cache.
 */
import { createHash } from 'node:crypto';
import type { MatchedRow } from '../eval-set/match.ts';
import { applySwitch, isSwitchedOutputs } from './order-randomisation.ts';
import { assertValidTemplate, buildJudgeMessages, type ChatMessage } from './prompt.ts';

/** The preference of a row whose two outputs are identical: a tie, without a judge call. */
export const IDENTICAL_OUTPUTS_PREFERENCE = 1.5;

/** One row to judge. */
export interface JudgeJob {
  /** 0-based position among the matched rows (annotation order). */
  index: number;
  /** 0-based position of the eval row in the reference. */
  evalIndex: number;
  instruction: string;
  /** The reference output. */
  output_1: string;
  /** The model output. */
  output_2: string;
  /** True when the judge sees the model output first ("m"). */
  isSwitched: boolean;
  /** The request messages, outputs in judged order; empty for identical outputs, which are never sent. */
  messages: ChatMessage[];
  /** output_1 === output_2: no call, preference {@link IDENTICAL_OUTPUTS_PREFERENCE}. */
  identical: boolean;
  /** Content address of the judgement; see {@link judgeJobKey}. */
  key: string;
}

/** Lower-case hex SHA-256 of a text's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What a judgement depends on. Outputs are in judged order (first = shown as "m"). */
export interface JudgeKeyParts {
  judgeModel: string;
  templateSha256: string;
  instruction: string;
  firstOutput: string;
  secondOutput: string;
}

/** Version tag of the key layout; bump it if the layout changes so old cache entries stop matching. */
export const JUDGE_KEY_VERSION = 'aep-judge-key-v1';

/**
 * Deterministic cache key: SHA-256 (hex) of the JSON array [version, judge model, template SHA-256, instruction,
 * first output, second output]. JSON quoting makes the field boundaries unambiguous.
 */
export function judgeJobKey(parts: JudgeKeyParts): string {
  return sha256Hex(JSON.stringify([
    JUDGE_KEY_VERSION, parts.judgeModel, parts.templateSha256, parts.instruction, parts.firstOutput, parts.secondOutput,
  ]));
}

/** Inputs of {@link buildJudgeJobs}. */
export interface BuildJudgeJobsOptions {
  /** The judge prompt template text (ChatML with {instruction}, {output_1}, {output_2}). */
  template: string;
  /** Matched rows in annotation order (reference order). */
  rows: readonly MatchedRow[];
  /** Judge model name; part of the cache key. */
  judgeModel: string;
  /** Annotator seed of the switch decision; AlpacaEval 2.0 uses 0. */
  seed?: number;
}

/**
 * Builds one job per matched row. Identical outputs (exact string equality, including both empty) are flagged, get
 * no messages and must not be sent; their preference is 1.5. Throws `JudgeInputError` for a bad template or a prompt
 * the official ChatML converter would reject.
 */
export function buildJudgeJobs({ template, rows, judgeModel, seed = 0 }: BuildJudgeJobsOptions): JudgeJob[] {
  assertValidTemplate(template);
  const templateSha256 = sha256Hex(template);
  return rows.map((row, index) => {
    const isSwitched = isSwitchedOutputs(row.instruction, { seed });
    const shown = applySwitch(row, { isSwitched });
    const identical = row.output_1 === row.output_2;
    // identical rows are settled before prompting in the official code too, so their text can never break a prompt
    const messages = identical
      ? []
      : buildJudgeMessages(template, { instruction: row.instruction, ...shown }, { row: index });
    return {
      index,
      evalIndex: row.evalIndex,
      instruction: row.instruction,
      output_1: row.output_1,
      output_2: row.output_2,
      isSwitched,
      messages,
      identical,
      key: judgeJobKey({
        judgeModel, templateSha256, instruction: row.instruction, firstOutput: shown.output_1, secondOutput: shown.output_2,
      }),
    };
  });
}
