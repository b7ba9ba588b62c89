/**
 * The OpenAI Batch API for judge requests: JSONL build (custom_id = the row's cache key, the same request body as
 * real-time), upload (Files API, purpose `batch`), batch creation (`/v1/chat/completions`, 24 h window), status, and
 * the output/error files parsed into the same attempt outcomes as real-time calls. SDK retries are on here (2, the
 * default): these are a handful of idempotent-enough control calls, not paid judge requests.
 */
import OpenAI, { APIError, toFile } from 'openai';
import type { JudgeRequestParameters } from '../core/judge/presets.ts';
import type {
  BatchJobStatus, BatchJudgeClient, BatchJudgeRequest, JudgeAttemptOutcome,
} from '../services/judge/types.ts';
import { classifyHttpFailure, completionToOutcome, OPENAI_BASE_URL, type FailureContext } from './openai-judge-client.ts';

export interface OpenAIBatchClientOptions {
  model: string;
  apiKey: string;
  baseUrl?: string | undefined;
  request: Readonly<JudgeRequestParameters>;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSONL input file: one chat-completions request per line. */
export function buildBatchJsonl(options: {
  model: string;
  request: Readonly<JudgeRequestParameters>;
  requests: readonly BatchJudgeRequest[];
}): string {
  const { model, request } = options;
  return options.requests.map((q) => JSON.stringify({
    custom_id: q.customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: q.messages, ...request },
  })).join('\n') + '\n';
}

/**
 * Parses output- or error-file JSONL into outcomes by custom_id. A line with `response.status_code` 200 is a
 * completion; another status is classified like a real-time HTTP error; a line with only `error` (e.g.
 * `batch_expired`) is a retryable failure. Run-level failures inside lines (401, unknown model) are thrown.
 */
export function parseBatchResults(text: string, context: FailureContext): Map<string, JudgeAttemptOutcome> {
  const out = new Map<string, JudgeAttemptOutcome>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // an unreadable line: its row stays without an outcome and is retried
    }
    if (!isRecord(rec) || typeof rec.custom_id !== 'string') continue;
    const response = isRecord(rec.response) ? rec.response : undefined;
    const status = typeof response?.status_code === 'number' ? response.status_code : undefined;
    if (status === 200) {
      out.set(rec.custom_id, completionToOutcome(response?.body, 0));
      continue;
    }
    const error = isRecord(rec.error) ? rec.error : isRecord(response?.body) && isRecord(response.body.error)
      ? response.body.error : {};
    const message = typeof error.message === 'string' ? error.message : `batch line ${i + 1} failed`;
    const code = typeof error.code === 'string' ? error.code : undefined;
    if (status === undefined) {
      out.set(rec.custom_id, { ok: false, kind: 'server', retryable: true, latencyMs: 0, reason: `batch: ${code ?? 'error'}: ${message}` });
      continue;
    }
    const outcome = classifyHttpFailure({ status, code, message }, context, 0);
    if (outcome instanceof Error) throw outcome;
    out.set(rec.custom_id, outcome.ok ? outcome : { ...outcome, reason: `batch: ${outcome.reason}` });
  }
  return out;
}

export class OpenAIBatchClient implements BatchJudgeClient {
  readonly model: string;
  private readonly sdk: OpenAI;
  private readonly context: FailureContext;

  constructor(private readonly options: OpenAIBatchClientOptions) {
    this.model = options.model;
    const baseUrl = options.baseUrl ?? OPENAI_BASE_URL;
    this.context = { model: options.model, baseUrl, apiKey: options.apiKey };
    this.sdk = new OpenAI({ apiKey: options.apiKey, baseURL: baseUrl, maxRetries: 2, timeout: 300_000 });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // only credential problems are run-level here; anything else (e.g. 404 for a batch the API no longer knows)
      // is the caller's to handle
      if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
        const outcome = classifyHttpFailure({ status: err.status, code: err.code, message: err.message }, this.context, 0);
        if (outcome instanceof Error) throw outcome;
      }
      throw err;
    }
  }

  async submit(requests: readonly BatchJudgeRequest[], { signal }: { signal?: AbortSignal } = {}): Promise<{ batchId: string }> {
    const jsonl = buildBatchJsonl({ model: this.model, request: this.options.request, requests });
    const file = await this.call(async () => this.sdk.files.create({
      file: await toFile(Buffer.from(jsonl, 'utf8'), 'aep-judge-batch.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    }, { signal }));
    const batch = await this.call(() => this.sdk.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { tool: 'alpaca-eval-pipeline', purpose: 'judge' },
    }, { signal }));
    return { batchId: batch.id };
  }

  async status(batchId: string, { signal }: { signal?: AbortSignal } = {}): Promise<BatchJobStatus> {
    const b = await this.call(() => this.sdk.batches.retrieve(batchId, { signal }));
    const counts = b.request_counts;
    return {
      batchId: b.id,
      status: b.status,
      terminal: TERMINAL.has(b.status),
      counts: { total: counts?.total ?? 0, completed: counts?.completed ?? 0, failed: counts?.failed ?? 0 },
      ...(b.output_file_id ? { outputFileId: b.output_file_id } : {}),
      ...(b.error_file_id ? { errorFileId: b.error_file_id } : {}),
      errors: (b.errors?.data ?? []).map((e) => [e.code, e.message, e.line ? `line ${e.line}` : undefined]
        .filter(Boolean).join(': ')),
    };
  }

  async results(status: BatchJobStatus, { signal }: { signal?: AbortSignal } = {}): Promise<Map<string, JudgeAttemptOutcome>> {
    const out = new Map<string, JudgeAttemptOutcome>();
    // error file first, so a custom_id present in both keeps its output-file result
    for (const id of [status.errorFileId, status.outputFileId]) {
      if (!id) continue;
      const text = await this.call(async () => (await this.sdk.files.content(id, { signal })).text());
      for (const [k, v] of parseBatchResults(text, this.context)) out.set(k, v);
    }
    return out;
  }
}
