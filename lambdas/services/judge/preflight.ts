/**
 * Judge preflight: before anything is spent, ask the endpoint whether it serves the judge model; then the run's first
 * real row is the probe (its answer is kept and used) and must carry what the preset's parser needs (top logprobs for
 * a logprob judge, text for a verdict judge) before the other rows are released (`judge-jobs.ts`).
 *
 * Known shutdown dates are hints: a date less than 60 days ahead is a warning; a date in the past turns a missing
 * model into a precise message, but an endpoint that still serves the model (Azure deployments, proxies, caches) runs.
 */
import { JUDGE_PRESETS, type JudgePreset } from '../../core/judge/presets.ts';
import { completionText } from '../../core/judge/verdict-parser.ts';
import { JudgePreflightError } from './errors.ts';
import type { JudgeClient, RawCompletion } from './types.ts';

/** Days ahead of a known shutdown from which every run warns. */
export const SHUTDOWN_WARNING_DAYS = 60;

const DAY_MS = 86_400_000;

/** The warning for a preset whose model has a known shutdown near or past `now`; undefined when none. */
export function shutdownNotice(preset: JudgePreset, now: Date): { past: boolean; message: string } | undefined {
  const s = preset.shutdown;
  if (!s) return undefined;
  const days = Math.ceil((Date.parse(`${s.date}T00:00:00Z`) - now.getTime()) / DAY_MS);
  if (days > SHUTDOWN_WARNING_DAYS) return undefined;
  if (days <= 0) return { past: true, message: `${preset.model} was scheduled for shutdown on ${s.date} (${s.source})` };
  return { past: false, message: `${preset.model} is scheduled for shutdown on ${s.date}, in ${days} day(s) (${s.source})` };
}

/** Presets whose model is among the endpoint's listed models. */
export function usablePresets(listed: readonly string[]): string[] {
  const ids = new Set(listed);
  return Object.values(JUDGE_PRESETS).filter((p) => ids.has(p.model)).map((p) => `${p.name} (${p.model})`);
}

export interface PreflightResult {
  /** Warnings to show and record (near or past shutdown, no models API). */
  warnings: string[];
  /** The id the endpoint reported, when it did. */
  servedId?: string;
}

/** Checks that the endpoint serves the judge model. Throws `JudgePreflightError` (or the client's auth error). */
export async function checkJudgeModel(options: {
  client: JudgeClient;
  preset: JudgePreset;
  baseUrl: string;
  now?: Date;
  signal?: AbortSignal;
}): Promise<PreflightResult> {
  const { client, preset, baseUrl } = options;
  const notice = shutdownNotice(preset, options.now ?? new Date());
  const warnings: string[] = [];
  if (!client.describeModel) return { warnings: notice ? [notice.message] : [] };
  const availability = await client.describeModel(options.signal ? { signal: options.signal } : {});
  if (availability.status === 'missing') {
    const retired = notice?.past ? `; ${notice.message}, and this endpoint no longer serves it` : '';
    throw new JudgePreflightError({
      model: client.model, baseUrl,
      problem: `the endpoint does not serve this model (${availability.detail})${retired}`,
      usablePresets: availability.listed ? usablePresets(availability.listed) : undefined,
    });
  }
  if (notice) warnings.push(notice.past ? `${notice.message}, but ${baseUrl} still serves it: the run goes on` : notice.message);
  if (availability.status === 'unknown') {
    warnings.push(`${baseUrl} has no models API (${availability.detail}); the first judged row will tell whether it serves ${client.model}`);
    return { warnings };
  }
  return { warnings, servedId: availability.id };
}

/** Why a first answer cannot serve the preset's parser, or undefined when it can. */
export function probeProblem(rawCompletion: RawCompletion, preset: JudgePreset): string | undefined {
  if (preset.parser.kind === 'verdict') {
    const text = completionText(rawCompletion);
    return text === undefined || text.trim() === '' ? 'its first answer has no text to read a verdict from' : undefined;
  }
  const logprobs = rawCompletion.logprobs as { content?: Array<{ top_logprobs?: unknown[] }> } | null | undefined;
  const top = logprobs?.content?.[0]?.top_logprobs;
  if (!Array.isArray(top) || top.length === 0) {
    return 'its first answer carries no top logprobs, which this preset\'s parser needs (a reasoning model without '
      + 'logprobs needs a verdict preset such as gpt5_nano)';
  }
  return undefined;
}
