/**
 * Which judge produced a set of annotations, and on which scale their numbers are (pure). Only the judge of the
 * public leaderboard (gpt-4-1106-preview through `weighted_alpaca_eval_gpt4_turbo`) gives numbers on the official
 * AlpacaEval 2.0 scale; any other judge's numbers are on that judge's own scale. Never inferred from the alias alone:
 * the snapshots the API answered with are counted from the rows.
 */
import { findJudgePreset } from './presets.ts';

/** The scale of the public AlpacaEval 2.0 leaderboard (its judge: gpt-4-1106-preview). */
export const OFFICIAL_SCALE = 'alpaca_eval_2';

export interface JudgeIdentity {
  /** the annotator (preset or official config name) */
  preset: string | null;
  /** the requested model (alias) */
  model: string | null;
  /** distinct answering snapshots (the responses' `model`) with the rows each judged */
  snapshots: Record<string, number>;
  parser: 'logprob' | 'verdict';
  /** `alpaca_eval_2`, or `judge:<snapshot or model>` */
  scale: string;
}

/** The judge block of a metrics document, from annotation rows (official files carry no snapshot: their annotator says it). */
export function judgeIdentity(annotator: string | undefined, rows: readonly Record<string, unknown>[]): JudgeIdentity {
  const preset = annotator ? findJudgePreset(annotator) : undefined;
  const model = preset?.model ?? (annotator?.startsWith('custom:') ? annotator.slice('custom:'.length) : null);
  const snapshots: Record<string, number> = {};
  let verdict = false;
  for (const r of rows) {
    const s = r.judge_model_snapshot;
    if (typeof s === 'string' && s !== '') snapshots[s] = (snapshots[s] ?? 0) + 1;
    if (r.judge_parser === 'verdict') verdict = true;
  }
  const answered = Object.keys(snapshots);
  const official = preset?.comparableToLeaderboard === true && answered.every((s) => s === preset.model);
  const who = answered.length === 1 ? answered[0]! : model ?? annotator ?? 'unknown';
  return {
    preset: annotator ?? null,
    model,
    snapshots,
    parser: verdict || preset?.parser.kind === 'verdict' ? 'verdict' : 'logprob',
    scale: official ? OFFICIAL_SCALE : `judge:${who}`,
  };
}
