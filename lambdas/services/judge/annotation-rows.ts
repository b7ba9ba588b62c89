/**
 * Pure assembly of `annotations.json` rows from judge jobs and judgements, in the official row format (spec §3.9)
 * plus our extras: `judge_prompt_tokens`, `judge_completion_tokens`, `judge_source`, and `judge_error` on rows
 * without a judgement (their `preference` is null). Works on any subset of jobs (a chunk), in the order given.
 */
import type { MatchedRow } from '../../core/eval-set/match.ts';
import { IDENTICAL_OUTPUTS_PREFERENCE, type JudgeJob } from '../../core/judge/build-requests.ts';
import { unswitchPreference } from '../../core/judge/order-randomisation.ts';
import type { FailedRow } from './errors.ts';
import type { KeyJudgement, RawCompletion } from './types.ts';

/** One row of annotations.json as written by `aep judge`. */
export interface JudgeAnnotationRow {
  instruction: string;
  output_1: string;
  generator_1: string;
  dataset?: string;
  dataset_1?: string;
  dataset_2?: string;
  output_2: string;
  generator_2: string;
  annotator: string;
  /** 1 + P(model output better); 1.5 for identical outputs; null for NaN or no judgement. */
  preference: number | null;
  preference_price_per_example: number | null;
  preference_time_per_example: number | null;
  preference_raw_completion: RawCompletion | null;
  judge_prompt_tokens: number | null;
  judge_completion_tokens: number | null;
  judge_source: 'api' | 'batch' | 'cache' | 'identical' | 'failed';
  /** The model snapshot that answered (the response's `model`), when known. */
  judge_model_snapshot?: string;
  /** `verdict` for a judge whose preference was read from its text (no logprobs); absent for logprob judges. */
  judge_parser?: 'verdict';
  judge_error?: string;
}

export interface AssembleOptions {
  /** The matched rows the jobs were built from (`job.index` points into it). */
  rows: readonly MatchedRow[];
  /** The jobs to write, in output order. */
  jobs: readonly JudgeJob[];
  /** Judgements by cache key. A job whose key is absent is written as failed ("not judged"). */
  judgements: ReadonlyMap<string, KeyJudgement>;
  /** `annotator` column: the preset name. */
  annotator: string;
  /** `generator_2`: the evaluated model's name. */
  modelName: string;
  /** Flags rows of a verdict judge (`judge_parser: "verdict"`). */
  parser?: 'logprob' | 'verdict';
}

/** The name of the reference side when the eval set has no `generator`. */
export const DEFAULT_REFERENCE_NAME = 'reference';

function datasets(row: MatchedRow): Pick<JudgeAnnotationRow, 'dataset' | 'dataset_1' | 'dataset_2'> {
  const ref = row.reference.dataset;
  const model = row.model.dataset;
  if (ref !== undefined && model !== undefined && ref !== model) return { dataset_1: ref, dataset_2: model };
  const one = ref ?? model;
  return one === undefined ? {} : { dataset: one };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Builds the annotation rows for `jobs`. */
export function assembleAnnotationRows(options: AssembleOptions): JudgeAnnotationRow[] {
  return options.jobs.map((job) => {
    const row = options.rows[job.index];
    if (!row) throw new RangeError(`job ${job.index} has no matched row`);
    const head = {
      instruction: job.instruction,
      output_1: job.output_1,
      generator_1: row.reference.generator ?? DEFAULT_REFERENCE_NAME,
      ...datasets(row),
      output_2: job.output_2,
      generator_2: options.modelName,
      annotator: options.annotator,
    };
    if (job.identical) {
      return {
        ...head, preference: IDENTICAL_OUTPUTS_PREFERENCE, preference_price_per_example: null,
        preference_time_per_example: null, preference_raw_completion: null, judge_prompt_tokens: null,
        judge_completion_tokens: null, judge_source: 'identical',
      };
    }
    const j = options.judgements.get(job.key);
    if (!j || !j.ok) {
      return {
        ...head, preference: null, preference_price_per_example: null, preference_time_per_example: null,
        preference_raw_completion: null, judge_prompt_tokens: null, judge_completion_tokens: null,
        judge_source: 'failed', judge_error: j ? j.reason : 'not judged (the run stopped before this row)',
      };
    }
    return {
      ...head,
      preference: finite(unswitchPreference(j.judgeOrderPreference, { isSwitched: job.isSwitched })),
      preference_price_per_example: j.costUsd,
      preference_time_per_example: j.latencyMs / 1000,
      preference_raw_completion: j.rawCompletion,
      judge_prompt_tokens: j.usage?.prompt_tokens ?? null,
      judge_completion_tokens: j.usage?.completion_tokens ?? null,
      judge_source: j.source,
      ...(j.responseModel ? { judge_model_snapshot: j.responseModel } : {}),
      ...(options.parser === 'verdict' ? { judge_parser: 'verdict' as const } : {}),
    };
  });
}

/** The rows without a judgement, with their reasons. */
export function failedRows(rows: readonly JudgeAnnotationRow[], jobs: readonly JudgeJob[]): FailedRow[] {
  const out: FailedRow[] = [];
  rows.forEach((r, i) => {
    if (r.judge_source === 'failed') out.push({ index: jobs[i]!.index, instruction: r.instruction, reason: r.judge_error ?? '' });
  });
  return out;
}
