/**
 * A fake OpenAI-compatible generation engine on loopback, speaking the chat and completions APIs like vLLM.
 *
 * Throughput model (continuous batching): requests in flight share a fixed capacity of C tokens/s, and one request
 * never goes faster than 1 token per `perTokenLatencyMs` — so the engine is saturated only when at least
 * C · perTokenLatency/1000 requests are in flight. Output lengths come from a hash of the prompt (or a function),
 * cut at `max_tokens` with finish reason `length`. Faults on demand: any HTTP status (e.g. 500, 429 with
 * retry-after), connection reset, empty choices, a hung request; and a "no chat template" mode answering 400 as vLLM.
 *
 * Judge requests (chat with `logprobs: true`): answered as vLLM answers the official judge request — one token whose
 * `logprobs.content[0].top_logprobs` holds `top_logprobs` entries. By default P("m") comes from a hash of the
 * messages (as the fake OpenAI judge) and some answers carry what a real engine can return: a whitespace variant
 * " m", vLLM's −9999.0 for a −∞ logprob, only one of m/M, neither. A judge request costs its output token plus
 * `promptTokenCost` per prompt token (prefill; prompt tokens ≈ characters / 4) of the shared capacity.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeEngineRequest {
  path: string;
  body: Record<string, any>;
  /** The user message (chat) or the prompt (completions). */
  prompt: string;
  at: number;
}

export type Fault =
  | { type: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { type: 'reset' }
  | { type: 'empty-choices' }
  | { type: 'hang' };

export interface FakeEngineOptions {
  models?: string[];
  capacityTokensPerSecond?: number;
  perTokenLatencyMs?: number;
  firstTokenLatencyMs?: number;
  /** Tokens a prompt would produce without a limit; default 20–619 from a hash of the prompt. */
  outputTokens?: (prompt: string) => number;
  /** Answer chat requests with vLLM's HTTP 400 for a tokenizer without chat template. */
  noChatTemplate?: boolean;
  /** vLLM < 0.10 error bodies (`{"object":"error","message":…}`) instead of OpenAI's `{"error":{…}}`. */
  legacyErrors?: boolean;
  /** Decides a fault for the n-th (0-based) generation request. */
  fault?: (req: FakeEngineRequest, n: number) => Fault | undefined;
  /** Capacity used per prompt token, in output-token units (prefill); default 0 (only output tokens count). */
  promptTokenCost?: number;
  /** The top logprobs of a judge answer, from the messages' JSON; default `engineJudgeTopLogprobs`. */
  judgeTopLogprobs?: (messagesKey: string) => TopLogprob[];
  port?: number;
}

export interface FakeEngine {
  /** Base URL including `/v1`. */
  baseUrl: string;
  port: number;
  /** Every generation request received, in arrival order. */
  requests: FakeEngineRequest[];
  /** Options; tests may change faults and modes between runs. */
  options: FakeEngineOptions;
  /** `work`: capacity used by answered requests (output tokens + promptTokenCost × prompt tokens). */
  stats: { tokensServed: number; maxInFlight: number; work: number };
  close(): Promise<void>;
}

export interface TopLogprob {
  token: string;
  logprob: number;
}

/** P("m") of a judge prompt: 0.02–0.98 from a hash of the messages' JSON (the fake OpenAI judge's rule). */
export function engineProbabilityOfM(messagesKey: string): number {
  return 0.02 + 0.96 * (createHash('sha256').update(messagesKey).digest().readUInt32BE(0) / 2 ** 32);
}

/**
 * The default top-5 of a judge answer. 9 prompts in 10: m and M with 98 % of the mass split by P("m"), three
 * fillers. The rest, by a second hash: " m" (a whitespace variant the parser must ignore) ranked first; M at vLLM's
 * −9999.0 (its rendering of −∞); only "m" in the top 5; neither m nor M (parser NaN).
 */
export function engineJudgeTopLogprobs(messagesKey: string): TopLogprob[] {
  const p = engineProbabilityOfM(messagesKey);
  const h = createHash('sha256').update(`variant:${messagesKey}`).digest().readUInt32BE(0) % 40;
  const m = { token: 'm', logprob: Math.log(0.98 * p) };
  const M = { token: 'M', logprob: Math.log(0.98 * (1 - p)) };
  const fill = [{ token: 'The', logprob: Math.log(0.01) }, { token: 'Based', logprob: Math.log(0.006) }, { token: '\n', logprob: Math.log(0.004) }];
  let top: TopLogprob[];
  if (h === 0) top = [{ token: ' m', logprob: -0.01 }, m, M, fill[0]!, fill[1]!];
  else if (h === 1) top = [m, { token: 'M', logprob: -9999 }, ...fill];
  else if (h === 2) top = [m, { token: 'Model', logprob: Math.log(0.01) }, ...fill];
  else if (h === 3) top = [{ token: 'Model', logprob: -0.1 }, { token: ' M', logprob: -2.5 }, ...fill];
  else top = [m, M, ...fill];
  return top.sort((a, b) => b.logprob - a.logprob);
}

/** The text the fake engine answers for a prompt: a tag identifying the prompt, then filler words, with edge spaces. */
export function fakeOutputText(prompt: string, tokens: number): string {
  const words = [promptTag(prompt), ...Array.from({ length: Math.max(0, tokens - 1) }, (_, i) => `w${i}`)];
  return ` \n${words.join(' ')}\n `;
}

/** A short tag derived from the prompt, the first word of every answer. */
export function promptTag(prompt: string): string {
  return `[${createHash('sha256').update(prompt).digest('hex').slice(0, 10)}]`;
}

/** The tokens a prompt produces by default (before `max_tokens`): 20–619 from a hash of the prompt. */
export function defaultOutputTokens(prompt: string): number {
  return 20 + (createHash('sha256').update(prompt).digest().readUInt32BE(0) % 600);
}

/** Processor sharing of the token capacity among active requests. */
class TokenScheduler {
  private readonly jobs = new Set<{ remaining: number; done: () => void }>();
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;
  maxActive = 0;
  constructor(private readonly options: FakeEngineOptions) {}

  private rate(): number {
    const perStream = 1 / (this.options.perTokenLatencyMs ?? 1);
    const capacity = (this.options.capacityTokensPerSecond ?? 20_000) / 1000;
    return this.jobs.size === 0 ? 0 : Math.min(perStream, capacity / this.jobs.size);
  }

  private advance(): void {
    const now = performance.now();
    const progress = this.rate() * (now - this.last);
    for (const j of this.jobs) j.remaining -= progress;
    this.last = now;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    for (const j of this.jobs) {
      if (j.remaining <= 1e-3) {
        this.jobs.delete(j);
        j.done();
      }
    }
    if (this.jobs.size === 0) return;
    let min = Infinity;
    for (const j of this.jobs) min = Math.min(min, j.remaining);
    this.timer = setTimeout(() => {
      this.advance();
      this.schedule();
    }, min / this.rate());
  }

  /** Resolves when `tokens` tokens have been generated; `cancel` drops the job (client went away). */
  run(tokens: number): { finished: Promise<void>; cancel: () => void } {
    this.advance();
    let job!: { remaining: number; done: () => void };
    const finished = new Promise<void>((done) => {
      job = { remaining: tokens, done };
    });
    this.jobs.add(job);
    this.maxActive = Math.max(this.maxActive, this.jobs.size);
    this.schedule();
    return {
      finished,
      cancel: () => {
        if (!this.jobs.delete(job)) return;
        this.advance();
        this.schedule();
      },
    };
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function errorBody(options: FakeEngineOptions, status: number, message: string, type: string): unknown {
  const info = { message, type, param: null, code: status };
  return options.legacyErrors ? { object: 'error', ...info } : { error: info };
}

export async function startFakeEngine(options: FakeEngineOptions = {}): Promise<FakeEngine> {
  const requests: FakeEngineRequest[] = [];
  const sockets = new Set<Socket>();
  const scheduler = new TokenScheduler(options);
  const stats = { tokensServed: 0, maxInFlight: 0, work: 0 };

  async function generate(path: string, body: Record<string, any>, res: ServerResponse): Promise<void> {
    const chat = path === '/v1/chat/completions';
    const prompt = chat ? String(body.messages?.at(-1)?.content ?? '') : String(body.prompt ?? '');
    const request: FakeEngineRequest = { path, body, prompt, at: Date.now() };
    const n = requests.push(request) - 1;
    const models = options.models ?? ['fake-model'];
    if (!models.includes(body.model)) {
      return sendJson(res, 404, errorBody(options, 404, `The model \`${body.model}\` does not exist.`, 'NotFoundError'));
    }
    if (chat && options.noChatTemplate) {
      return sendJson(res, 400, errorBody(options, 400, 'As of transformers v4.44, default chat template is no longer allowed, ' +
        'so you must provide a chat template if the tokenizer does not define one.', 'BadRequestError'));
    }
    const fault = options.fault?.(request, n);
    if (fault?.type === 'reset') return void res.socket?.destroy();
    if (fault?.type === 'hang') return;
    if (fault?.type === 'status') {
      return sendJson(res, fault.status, errorBody(options, fault.status, fault.message ?? `injected ${fault.status}`, 'Fault'), fault.headers);
    }
    const judge = chat && body.logprobs === true;
    const wanted = judge ? Number(body.max_tokens ?? 16) : (options.outputTokens ?? defaultOutputTokens)(prompt);
    const tokens = Math.min(wanted, Number(body.max_tokens ?? 16));
    const promptTokens = Math.ceil((chat ? (body.messages ?? []).reduce((n: number, m: any) => n + String(m?.content ?? '').length, 0) : prompt.length) / 4);
    if (options.firstTokenLatencyMs) await new Promise((r) => setTimeout(r, options.firstTokenLatencyMs));
    const work = tokens + (options.promptTokenCost ?? 0) * promptTokens;
    const job = scheduler.run(work);
    res.on('close', job.cancel);
    stats.maxInFlight = Math.max(stats.maxInFlight, scheduler.maxActive);
    await job.finished;
    if (res.destroyed) return;
    stats.tokensServed += tokens;
    stats.work += work;
    if (judge) {
      const top = (options.judgeTopLogprobs ?? engineJudgeTopLogprobs)(JSON.stringify(body.messages)).slice(0, Number(body.top_logprobs ?? 0));
      const entry = (t: TopLogprob) => ({ token: t.token, logprob: t.logprob, bytes: [...Buffer.from(t.token, 'utf8')] });
      const first = top[0] ?? { token: 'm', logprob: 0 };
      const choice = { index: 0, message: { role: 'assistant', content: first.token, tool_calls: [] }, logprobs: { content: [{ ...entry(first), top_logprobs: top.map(entry) }] }, finish_reason: 'length', stop_reason: null };
      return sendJson(res, 200, {
        id: `chatcmpl-fake-${n}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model,
        choices: fault?.type === 'empty-choices' ? [] : [choice],
        usage: { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens },
      });
    }
    const text = fakeOutputText(prompt, tokens);
    const finish = wanted > tokens ? 'length' : 'stop';
    const usage = { prompt_tokens: prompt.split(/\s+/).length, completion_tokens: tokens, total_tokens: tokens + prompt.split(/\s+/).length };
    const choices = fault?.type === 'empty-choices' ? [] : [chat
      ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finish, logprobs: null }
      : { index: 0, text, finish_reason: finish, logprobs: null }];
    sendJson(res, 200, {
      id: `fake-${n}`, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000),
      model: body.model, choices, usage,
    });
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/health') return void res.writeHead(200).end();
      if (req.method === 'GET' && path === '/v1/models') {
        const data = (options.models ?? ['fake-model']).map((id) => ({ id, object: 'model', owned_by: 'fake', created: 0 }));
        return sendJson(res, 200, { object: 'list', data });
      }
      if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions')) {
        let body: Record<string, any>;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return sendJson(res, 400, errorBody(options, 400, 'invalid JSON', 'BadRequestError'));
        }
        generate(path, body, res).catch((err) => sendJson(res, 500, errorBody(options, 500, String(err), 'InternalError')));
        return;
      }
      sendJson(res, 404, errorBody(options, 404, `no route ${req.method} ${path}`, 'NotFoundError'));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    options,
    stats,
    close: () => new Promise<void>((resolve) => {
      scheduler.stop();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
