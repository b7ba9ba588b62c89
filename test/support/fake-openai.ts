/**
 * A fake OpenAI API on loopback for judge tests: Chat Completions with `logprobs`/`top_logprobs` (P("m") derived
 * from a hash of the messages, or scripted), Files (multipart upload, content download) and Batches (create, status
 * progression on every retrieve, output and error files). Faults on demand: any HTTP status (429 with retry-after,
 * 500, 401, …), connection reset, a hung request, malformed JSON, completions without m/M tokens or without logprobs,
 * extra latency; a per-key and per-model check; an RPM limiter (token bucket, 1 s burst) answering 429 above it,
 * optionally reporting OpenAI's `x-ratelimit-*` headers; a quota after which every request gets 429 `insufficient_quota`.
 * Records every request, and how often each prompt got a paid answer, so tests can assert "no row judged twice".
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startServer, type RecordedRequest, type TestServer } from './http-server.ts';

export interface FakeChatRequest {
  body: Record<string, any>;
  /** JSON of `body.messages`: identifies the prompt. */
  promptKey: string;
  /** 0-based arrival number among chat requests. */
  n: number;
  /** Arrival time (`performance.now()`). */
  at: number;
  headers: RecordedRequest['headers'];
}

export type ChatFault =
  | { type: 'status'; status: number; code?: string; message?: string; headers?: Record<string, string> }
  | { type: 'reset' }
  | { type: 'hang' }
  | { type: 'malformed' }
  | { type: 'no-mM' }
  | { type: 'no-logprobs' }
  | { type: 'delay'; ms: number };

export interface FakeOpenAIOptions {
  latencyMs?: number | ((req: FakeChatRequest) => number);
  /** Requests per minute; above it (1 s bucket) chat requests get 429 with `retry-after-ms`. */
  rpm?: number;
  /**
   * With `rpm`: every chat answer (200 and 429) carries OpenAI's `x-ratelimit-limit-requests`,
   * `x-ratelimit-remaining-requests` (whole requests left in the bucket) and `x-ratelimit-reset-requests` (time until
   * the bucket is full, e.g. `"250ms"`).
   */
  rateLimitHeaders?: boolean;
  /** After this many paid answers, every chat request gets 429 `insufficient_quota` (the account is out of credit). */
  quota?: number;
  /** When set, any other bearer token gets 401. */
  apiKey?: string;
  /**
   * When set, any other model gets 404 `model_not_found`, and the models API answers (`GET /v1/models`, `GET
   * /v1/models/{id}`); without it those routes do not exist (404 "no route"), as on servers without a models API.
   */
  models?: string[];
  /** The `model` a completion reports, from the requested one (default: the requested one), e.g. a dated snapshot. */
  snapshot?: (requested: string) => string;
  /** Prompts longer than this (characters of all contents) get 400 `context_length_exceeded`. */
  maxPromptChars?: number;
  fault?: (req: FakeChatRequest) => ChatFault | undefined;
  /** A scripted choice (`{logprobs, message, …}`) instead of the hash-derived one. */
  answer?: (req: FakeChatRequest) => Record<string, unknown> | undefined;
  batch?: BatchOptions;
}

export interface FakeOpenAI {
  /** Base URL including `/v1`. */
  baseUrl: string;
  /** Chat-completion requests in arrival order. */
  chatRequests: FakeChatRequest[];
  /** Paid answers (HTTP 200 with a completion, real-time or batch) per prompt key. */
  answered: Map<string, number>;
  stats: { rateLimited: number; inFlight: number; maxInFlight: number };
  /** Mutable: tests change faults between runs. */
  options: FakeOpenAIOptions;
  server: TestServer;
  batches: BatchState;
  close(): Promise<void>;
}

/** P("m") for a prompt: 0.02–0.98 from a hash of the messages' JSON. */
export function fakeProbabilityOfM(promptKey: string): number {
  const u = createHash('sha256').update(promptKey).digest().readUInt32BE(0) / 2 ** 32;
  return 0.02 + 0.96 * u;
}

/** The judge-order preference the official parser gives the fake's default answer: 2 − P("m"). */
export function fakeJudgeOrderPreference(promptKey: string): number {
  return 2 - fakeProbabilityOfM(promptKey);
}

function tokenEntry(token: string, logprob: number) {
  return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
}

/** The default choice: m and M with 98 % of the mass split by P("m"), three filler tokens. */
export function fakeChoice(promptKey: string, mode: 'normal' | 'no-mM' | 'no-logprobs' = 'normal'): Record<string, unknown> {
  return choiceWithProbability(fakeProbabilityOfM(promptKey), mode);
}

/** A choice whose logprobs give P("m") = p (98 % of the mass on m and M, three filler tokens). */
export function choiceWithProbability(p: number, mode: 'normal' | 'no-mM' | 'no-logprobs' = 'normal'): Record<string, unknown> {
  const top = mode === 'no-mM'
    ? [tokenEntry('Model', -0.1), tokenEntry('The', -3), tokenEntry('Based', -4), tokenEntry('\n', -5), tokenEntry('I', -6)]
    : [tokenEntry('m', Math.log(0.98 * p)), tokenEntry('M', Math.log(0.98 * (1 - p))), tokenEntry('The', Math.log(0.01)),
      tokenEntry('Based', Math.log(0.006)), tokenEntry('\n', Math.log(0.004))].sort((a, b) => b.logprob - a.logprob);
  const first = top[0]!;
  return {
    index: 0,
    message: { role: 'assistant', content: first.token },
    logprobs: mode === 'no-logprobs' ? null : { content: [{ ...first, top_logprobs: top }] },
    finish_reason: 'length',
  };
}

function promptChars(body: Record<string, any>): number {
  return Array.isArray(body.messages) ? body.messages.reduce((n: number, m: any) => n + String(m?.content ?? '').length, 0) : 0;
}

/** A chat-completion body for a choice. */
export function completionBody(body: Record<string, any>, choice: Record<string, unknown>, n: number): Record<string, unknown> {
  const prompt = Math.ceil(promptChars(body) / 4);
  return {
    id: `chatcmpl-fake-${n}`, object: 'chat.completion', created: 1_700_000_000, model: body.model, choices: [choice],
    usage: { prompt_tokens: prompt, completion_tokens: 1, total_tokens: prompt + 1 },
  };
}

export function sendJson(res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(data));
}

function apiError(res: ServerResponse, status: number, message: string, code?: string, headers?: Record<string, string>) {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param: null, code: code ?? null } }, headers);
}

/** The answer a prompt gets when nothing goes wrong (used by chat and by batches). */
export function answerFor(options: FakeOpenAIOptions, req: FakeChatRequest, mode: 'normal' | 'no-mM' | 'no-logprobs'): Record<string, unknown> {
  return (mode === 'normal' ? options.answer?.(req) : undefined) ?? fakeChoice(req.promptKey, mode);
}

/** Batch API behaviour. */
export interface BatchOptions {
  /** Retrieves per status step (validating → in_progress → finalizing → completed); default 1. */
  retrievesPerStep?: number;
  /** Per line: an HTTP error in the error file, an `error` record (e.g. batch_expired), or no record at all. */
  lineFault?: (customId: string, body: Record<string, any>) =>
    | { type: 'status'; status: number; code?: string; message?: string }
    | { type: 'error'; code: string; message: string }
    | { type: 'drop' }
    | undefined;
  /** Fail validation with this message (status `failed`). */
  failValidation?: string;
}

interface FakeBatch {
  id: string;
  inputFileId: string;
  retrieves: number;
  status: string;
  outputFileId?: string;
  errorFileId?: string;
  total: number;
  completed: number;
  failed: number;
}

export interface BatchState {
  files: Map<string, { filename: string; purpose: string; text: string }>;
  batches: Map<string, FakeBatch>;
  /** Batch-creation requests received. */
  created: number;
}

const STEPS = ['validating', 'in_progress', 'finalizing', 'completed'];

/** Extracts the fields of a multipart/form-data body (text parts only). */
function multipartFields(rec: RecordedRequest): Map<string, { filename?: string; value: string }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(String(rec.headers['content-type']));
  const out = new Map<string, { filename?: string; value: string }>();
  if (!boundary) return out;
  for (const part of rec.body.split(`--${boundary[1] ?? boundary[2]}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]+)"/.exec(head)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    out.set(name, { value: part.slice(split + 4).replace(/\r\n$/, ''), ...(filename !== undefined ? { filename } : {}) });
  }
  return out;
}

function runBatch(b: FakeBatch, state: BatchState, options: FakeOpenAIOptions, paid: (key: string) => void): void {
  const out: string[] = [];
  const errors: string[] = [];
  const lines = state.files.get(b.inputFileId)!.text.split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    const { custom_id: customId, body } = JSON.parse(line) as { custom_id: string; body: Record<string, any> };
    const id = `batch_req_${b.id}_${i}`;
    const fault = options.batch?.lineFault?.(customId, body);
    if (fault?.type === 'drop') return;
    if (fault?.type === 'error') {
      errors.push(JSON.stringify({ id, custom_id: customId, response: null, error: { code: fault.code, message: fault.message } }));
      return;
    }
    if (fault?.type === 'status') {
      const error = { message: fault.message ?? `fake status ${fault.status}`, type: 'server_error', code: fault.code ?? null };
      errors.push(JSON.stringify({ id, custom_id: customId, response: { status_code: fault.status, request_id: id, body: { error } }, error: null }));
      return;
    }
    const req: FakeChatRequest = { body, promptKey: JSON.stringify(body.messages), n: -1, at: performance.now(), headers: {} };
    const response = { status_code: 200, request_id: id, body: completionBody(body, answerFor(options, req, 'normal'), i) };
    out.push(JSON.stringify({ id, custom_id: customId, response, error: null }));
    paid(req.promptKey);
  });
  const file = (text: string, name: string) => {
    const fid = `file-${state.files.size + 1}`;
    state.files.set(fid, { filename: name, purpose: 'batch_output', text: text.length > 0 ? `${text}\n` : '' });
    return fid;
  };
  b.total = lines.length;
  b.completed = out.length;
  b.failed = lines.length - out.length;
  if (out.length > 0) b.outputFileId = file(out.join('\n'), `${b.id}_output.jsonl`);
  if (errors.length > 0) b.errorFileId = file(errors.join('\n'), `${b.id}_error.jsonl`);
}

function batchJson(b: FakeBatch, options: FakeOpenAIOptions): Record<string, unknown> {
  const failed = b.status === 'failed' ? options.batch?.failValidation : undefined;
  return {
    id: b.id, object: 'batch', endpoint: '/v1/chat/completions', completion_window: '24h', input_file_id: b.inputFileId,
    created_at: 1_700_000_000, status: b.status, output_file_id: b.outputFileId ?? null, error_file_id: b.errorFileId ?? null,
    request_counts: { total: b.total, completed: b.completed, failed: b.failed },
    errors: failed ? { object: 'list', data: [{ code: 'invalid_request', message: failed, line: 1 }] } : null,
  };
}

/** Files and Batches routes; returns false for any other path. */
async function batchRoute(options: { rec: RecordedRequest; res: ServerResponse; path: string; state: BatchState;
  fake: FakeOpenAIOptions; paid: (key: string) => void }): Promise<boolean> {
  const { rec, res, path, state, fake } = options;
  if (rec.method === 'POST' && path === '/v1/files') {
    const fields = multipartFields(rec);
    const file = fields.get('file');
    if (!file) return apiError(res, 400, 'no file part'), true;
    const id = `file-${state.files.size + 1}`;
    state.files.set(id, { filename: file.filename ?? 'upload', purpose: fields.get('purpose')?.value ?? '', text: file.value });
    sendJson(res, 200, { id, object: 'file', bytes: Buffer.byteLength(file.value), created_at: 1_700_000_000,
      filename: file.filename, purpose: fields.get('purpose')?.value, status: 'processed' });
    return true;
  }
  const content = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
  if (rec.method === 'GET' && content) {
    const f = state.files.get(content[1]!);
    if (!f) return apiError(res, 404, 'no such file'), true;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(f.text);
    return true;
  }
  if (rec.method === 'POST' && path === '/v1/batches') {
    const body = JSON.parse(rec.body) as Record<string, any>;
    const input = state.files.get(body.input_file_id);
    if (!input || input.purpose !== 'batch') return apiError(res, 400, 'input file not found or not purpose batch'), true;
    if (body.endpoint !== '/v1/chat/completions' || body.completion_window !== '24h') return apiError(res, 400, 'bad batch'), true;
    state.created++;
    const b: FakeBatch = { id: `batch_${state.batches.size + 1}`, inputFileId: body.input_file_id, retrieves: 0,
      status: 'validating', total: 0, completed: 0, failed: 0 };
    state.batches.set(b.id, b);
    sendJson(res, 200, batchJson(b, fake));
    return true;
  }
  const one = /^\/v1\/batches\/([^/]+)$/.exec(path);
  if (rec.method === 'GET' && one) {
    const b = state.batches.get(one[1]!);
    if (!b) return apiError(res, 404, 'no such batch'), true;
    if (b.status !== 'completed' && b.status !== 'failed') {
      b.retrieves++;
      const step = Math.min(STEPS.length - 1, Math.floor(b.retrieves / (fake.batch?.retrievesPerStep ?? 1)));
      b.status = fake.batch?.failValidation ? 'failed' : STEPS[step]!;
      if (b.status === 'completed') runBatch(b, state, fake, options.paid);
    }
    sendJson(res, 200, batchJson(b, fake));
    return true;
  }
  return false;
}

export function newBatchState(): BatchState {
  return { files: new Map(), batches: new Map(), created: 0 };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const chatRequests: FakeChatRequest[] = [];
  const answered = new Map<string, number>();
  const stats = { rateLimited: 0, inFlight: 0, maxInFlight: 0 };
  const bucket = { level: (options.rpm ?? 60) / 60, last: performance.now() };
  const batches = newBatchState();
  const fake = { options } as FakeOpenAI;
  const paid = (key: string) => answered.set(key, (answered.get(key) ?? 0) + 1);

  const admit = (): number | undefined => {
    const rpm = fake.options.rpm;
    if (rpm === undefined) return undefined;
    const now = performance.now();
    const rate = rpm / 60_000;
    bucket.level = Math.min(Math.max(1, rpm / 60), bucket.level + (now - bucket.last) * rate);
    bucket.last = now;
    if (bucket.level >= 1) {
      bucket.level -= 1;
      return undefined;
    }
    return Math.ceil((1 - bucket.level) / rate);
  };
  const limitHeaders = (): Record<string, string> => {
    const rpm = fake.options.rpm;
    if (rpm === undefined || !fake.options.rateLimitHeaders) return {};
    const capacity = Math.max(1, rpm / 60);
    const level = Math.min(capacity, bucket.level + ((performance.now() - bucket.last) * rpm) / 60_000);
    const toFullMs = Math.max(0, Math.ceil(((capacity - level) * 60_000) / rpm));
    return {
      'x-ratelimit-limit-requests': String(Math.floor(capacity)), // the bucket's size: a full reset refills it
      'x-ratelimit-remaining-requests': String(Math.max(0, Math.floor(level))),
      'x-ratelimit-reset-requests': `${toFullMs}ms`,
    };
  };

  const chat = async (rec: RecordedRequest, res: ServerResponse) => {
    const o = fake.options;
    let body: Record<string, any>;
    try {
      body = JSON.parse(rec.body) as Record<string, any>;
    } catch {
      return apiError(res, 400, 'invalid JSON body');
    }
    const req: FakeChatRequest = { body, promptKey: JSON.stringify(body.messages), n: chatRequests.length, at: performance.now(), headers: rec.headers };
    chatRequests.push(req);
    if (o.apiKey !== undefined && rec.headers.authorization !== `Bearer ${o.apiKey}`) {
      return apiError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }
    if (o.models && !o.models.includes(body.model)) {
      return apiError(res, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'model_not_found');
    }
    const paidSoFar = [...answered.values()].reduce((a, b) => a + b, 0);
    if (o.quota !== undefined && paidSoFar >= o.quota) {
      return apiError(res, 429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota');
    }
    const wait = admit();
    if (wait !== undefined) {
      stats.rateLimited++;
      return apiError(res, 429, 'Rate limit reached for requests', 'rate_limit_exceeded', { 'retry-after-ms': String(wait), ...limitHeaders() });
    }
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      const fault = o.fault?.(req);
      const latency = typeof o.latencyMs === 'function' ? o.latencyMs(req) : o.latencyMs ?? 0;
      const extra = fault?.type === 'delay' ? fault.ms : 0;
      if (fault?.type === 'hang') return; // never answers; the socket is destroyed by close()
      if (latency + extra > 0) await new Promise((r) => setTimeout(r, latency + extra));
      if (res.destroyed || res.socket?.destroyed) return; // the client gave up: nothing was delivered
      if (fault?.type === 'reset') return void res.socket?.destroy();
      if (fault?.type === 'status') {
        return apiError(res, fault.status, fault.message ?? `fake status ${fault.status}`, fault.code, fault.headers);
      }
      if (fault?.type === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"id": "chatcmpl-broken", "choices": [{"index": 0, "logprobs": ');
      }
      if (o.maxPromptChars !== undefined && promptChars(body) > o.maxPromptChars) {
        return apiError(res, 400, "This model's maximum context length is 8192 tokens.", 'context_length_exceeded');
      }
      const mode = fault?.type === 'no-mM' || fault?.type === 'no-logprobs' ? fault.type : 'normal';
      // paid once the whole answer left while the client was still connected
      res.once('finish', () => {
        if (!res.socket?.destroyed) paid(req.promptKey);
      });
      const answer = completionBody(body, answerFor(o, req, mode), req.n);
      if (o.snapshot) answer.model = o.snapshot(String(body.model));
      sendJson(res, 200, answer, limitHeaders());
    } finally {
      stats.inFlight--;
    }
  };

  const server = await startServer(async (rec, res) => {
    const path = rec.url.split('?')[0]!;
    if (rec.method === 'POST' && path === '/v1/chat/completions') return chat(rec, res);
    const models = fake.options.models;
    if (rec.method === 'GET' && models && path.startsWith('/v1/models')) {
      if (fake.options.apiKey !== undefined && rec.headers.authorization !== `Bearer ${fake.options.apiKey}`) {
        return apiError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
      }
      const card = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' });
      if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: models.map(card) });
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (models.includes(id)) return sendJson(res, 200, card(id));
      return apiError(res, 404, `The model '${id}' does not exist`, 'model_not_found');
    }
    if (await batchRoute({ rec, res, path, state: batches, fake: fake.options, paid })) return;
    apiError(res, 404, `no route ${rec.method} ${path}`);
  });
  Object.assign(fake, {
    baseUrl: `${server.url}/v1`, chatRequests, answered, stats, server, batches, close: () => server.close(),
  });
  return fake;
}
