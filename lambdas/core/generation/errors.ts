/**
 * Errors of generation: the engine (an OpenAI-compatible server), the engine process, the checkpoint and the run.
 * They extend the project base (`AepError`), so callers branch on the class and on `kind`, never on message text.
 */
import { AepError } from '../errors.ts';

/** Why an engine request failed. */
export type EngineFailureKind =
  | 'unreachable' // connection refused, reset, DNS: nothing answered (after retries)
  | 'timeout' // no answer within the per-request timeout (after retries)
  | 'server' // HTTP 5xx, 408 or 409 (after retries)
  | 'rate-limited' // HTTP 429 (after retries)
  | 'rejected' // any other HTTP status: the engine refused the request; retrying cannot help
  | 'bad-response' // HTTP 200 without a usable completion (no choices, no text)
  | 'no-chat-template' // the model has no chat template (vLLM answers HTTP 400)
  | 'aborted'; // the caller cancelled

/** Context of an engine failure. */
export interface EngineFailure {
  kind: EngineFailureKind;
  /** HTTP status, when the engine answered. */
  status?: number;
  /** Requests sent for this completion, retries included. */
  attempts: number;
}

/** Thrown by an engine adapter when a completion cannot be obtained. */
export class EngineError extends AepError {
  override readonly name: string = 'EngineError';
  readonly kind: EngineFailureKind;
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(message: string, failure: EngineFailure, options?: ErrorOptions) {
    super(message, options);
    this.kind = failure.kind;
    this.status = failure.status;
    this.attempts = failure.attempts;
  }
}

/** The engine cannot apply a chat template for this model; the `auto` prompt mode falls back on it. */
export class ChatTemplateMissingError extends EngineError {
  override readonly name: string = 'ChatTemplateMissingError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, { kind: 'no-chat-template', status: 400, attempts: 1 }, options);
  }
}

/** What is known about an engine process that failed to start or died. */
export interface EngineProcessFailure {
  exitCode?: number | null;
  signal?: string | null;
  /** The last lines the process wrote (stdout and stderr interleaved). */
  outputTail: string;
}

/** Thrown when a spawned engine (vllm serve) cannot be started, never becomes healthy, or dies while in use. */
export class EngineProcessError extends AepError {
  override readonly name: string = 'EngineProcessError';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly outputTail: string;
  constructor(message: string, failure: EngineProcessFailure, options?: ErrorOptions) {
    const tail = failure.outputTail.trim();
    super(tail ? `${message}; last engine output: ${tail.split('\n').slice(-8).join(' ⏎ ')}` : message, options);
    this.exitCode = failure.exitCode ?? null;
    this.signal = failure.signal ?? null;
    this.outputTail = failure.outputTail;
  }
}

/** Thrown when finished rows in a checkpoint were made with other settings or for other instructions. */
export class CheckpointMismatchError extends AepError {
  override readonly name: string = 'CheckpointMismatchError';
  readonly checkpoint: string;
  constructor(checkpoint: string, problem: string, options?: ErrorOptions) {
    super(`${checkpoint}: ${problem}`, options);
    this.checkpoint = checkpoint;
  }
}

/** Progress of a run that stopped: what is saved and where, so a rerun resumes. */
export interface GenerationProgress {
  completedRows: number;
  totalRows: number;
  checkpoint: string;
}

/** Thrown when a generation run stops before every row is done; finished rows stay in the checkpoint. */
export class GenerationError extends AepError {
  override readonly name: string = 'GenerationError';
  readonly completedRows: number;
  readonly totalRows: number;
  readonly checkpoint: string;
  constructor(reason: string, progress: GenerationProgress, options?: ErrorOptions) {
    super(`${reason} (${progress.completedRows} of ${progress.totalRows} rows are saved in ${progress.checkpoint}; ` +
      'rerun the same command to resume)', options);
    this.completedRows = progress.completedRows;
    this.totalRows = progress.totalRows;
    this.checkpoint = progress.checkpoint;
  }
}
