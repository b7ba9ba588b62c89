/**
 * Run-level judge failures: problems no retry and no other row can fix. Row-level failures are values
 * (`KeyJudgement` with `ok: false`), never these.
 */
import { AepError } from '../../core/errors.ts';
import { DEFAULT_JUDGE_PRESET, JUDGE_PRESETS } from '../../core/judge/presets.ts';

/** Base of every run-level judge failure. */
export class JudgeRunError extends AepError {
  override readonly name: string = 'JudgeRunError';
}

/** HTTP 401/403: the key is missing, wrong, or has no access. */
export class JudgeAuthError extends JudgeRunError {
  override readonly name: string = 'JudgeAuthError';
  readonly status: number;
  constructor(options: { status: number; baseUrl: string; detail: string }, errorOptions?: ErrorOptions) {
    super(`the judge API at ${options.baseUrl} rejected the credentials (HTTP ${options.status}: ${options.detail}); `
      + 'check OPENAI_API_KEY', errorOptions);
    this.status = options.status;
  }
}

/** The judge model (or Azure deployment) does not exist at the base URL. */
export class JudgeModelNotFoundError extends JudgeRunError {
  override readonly name: string = 'JudgeModelNotFoundError';
  readonly model: string;
  constructor(options: { model: string; baseUrl: string; detail: string }, errorOptions?: ErrorOptions) {
    const presets = Object.values(JUDGE_PRESETS).map((p) => `${p.name} (${p.model})`).join(', ');
    super(`judge model "${options.model}" was not found at ${options.baseUrl} (${options.detail}); check --judge-model `
      + `and --judge-base-url (it must end with /v1), or use a preset with --judge: ${presets}. Only `
      + `${DEFAULT_JUDGE_PRESET} gives numbers comparable to the public AlpacaEval 2.0 leaderboard; any other judge's `
      + 'numbers are not comparable to it', errorOptions);
    this.model = options.model;
  }
}

/**
 * The judge cannot serve this run, found before anything but (at most) its first row was paid: the model is not
 * served, or its first answer lacks what the preset's parser needs. The message names the model, what failed, and
 * the presets the key can use.
 */
export class JudgePreflightError extends JudgeRunError {
  override readonly name: string = 'JudgePreflightError';
  readonly model: string;
  constructor(options: { model: string; baseUrl: string; problem: string; usablePresets?: readonly string[] | undefined }, errorOptions?: ErrorOptions) {
    const usable = options.usablePresets === undefined ? ''
      : options.usablePresets.length > 0 ? `; presets this key can use at ${options.baseUrl}: ${options.usablePresets.join(', ')}`
        : `; none of the presets' models is listed by ${options.baseUrl}`;
    super(`judge preflight failed for model "${options.model}" at ${options.baseUrl}: ${options.problem}${usable}`, errorOptions);
    this.model = options.model;
  }
}

/** HTTP 429 `insufficient_quota`: waiting will not help. */
export class JudgeQuotaError extends JudgeRunError {
  override readonly name: string = 'JudgeQuotaError';
  constructor(options: { baseUrl: string; detail: string }, errorOptions?: ErrorOptions) {
    super(`the judge API at ${options.baseUrl} reports no remaining quota (${options.detail}); `
      + 'rows judged so far are cached and a rerun continues from them', errorOptions);
  }
}

/** A batch the Batch API refused as a whole (invalid input file, unknown model, …). */
export class JudgeBatchError extends JudgeRunError {
  override readonly name: string = 'JudgeBatchError';
  readonly batchId: string;
  constructor(options: { batchId: string; status: string; errors: string[] }, errorOptions?: ErrorOptions) {
    const detail = options.errors.length > 0 ? options.errors.join('; ') : 'no error details';
    super(`batch ${options.batchId} ended with status ${options.status}: ${detail}`, errorOptions);
    this.batchId = options.batchId;
  }
}

/** One row that has no judgement after all retries. */
export interface FailedRow {
  /** 0-based annotation row. */
  index: number;
  instruction: string;
  reason: string;
}

/** Thrown by the CLI after writing annotations.json when some rows have no result. */
export class JudgeRowsFailedError extends JudgeRunError {
  override readonly name: string = 'JudgeRowsFailedError';
  readonly rows: FailedRow[];
  constructor(rows: FailedRow[], options: { annotationsPath: string }) {
    const shown = rows.slice(0, 20).map((r) => r.index + 1).join(', ');
    const more = rows.length > 20 ? ` and ${rows.length - 20} more` : '';
    super(`${rows.length} row(s) have no judgement after retries (rows ${shown}${more}; first reason: `
      + `${rows[0]?.reason ?? 'unknown'}); they are in ${options.annotationsPath} with preference null and judge_error; `
      + 'rerun the same command to retry only those rows');
    this.rows = rows;
  }
}
