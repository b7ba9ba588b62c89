/**
 * Runs `vllm serve` as a child process for "spawn" mode (`aep generate --engine vllm`, the GPU container): start it
 * on a free loopback port, wait for `GET /health` and then `/v1/models` to list the served name, hand it to the
 * caller, and stop it (SIGTERM to its process group, SIGKILL after a grace period). Its output is kept (the tail
 * goes into errors) and can be forwarded. Secrets such as HF_TOKEN travel in the child's environment, never in argv.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineProcessError } from '../core/generation/errors.ts';

export interface VllmServeOptions {
  /** Hugging Face id or local directory. */
  model: string;
  /** The name requests use (`--served-model-name`). */
  servedModelName: string;
  revision?: string | null;
  seed?: number | null;
  dtype?: 'auto' | 'bfloat16' | 'float16';
  maxModelLen?: number;
  gpuMemoryUtilization?: number;
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** The executable; default `vllm` from PATH. */
  command?: string;
  extraArgs?: string[];
  /** The child's environment (default: this process's). */
  env?: Record<string, string | undefined>;
  /** Default 30 min: the first start may download the weights. */
  startupTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. Default 20 s. */
  stopGraceMs?: number;
  pollIntervalMs?: number;
  /** Receives the child's output as it comes. */
  onOutput?: (text: string) => void;
}

export interface VllmProcess {
  /** `http://host:port/v1`. */
  baseUrl: string;
  pid: number;
  /** The command line (argv). */
  command: string[];
  startupMs: number;
  /** The last lines of output. */
  outputTail(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  hasExited(): boolean;
  /** SIGTERM to the process group, SIGKILL after the grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/** The `vllm serve` arguments. `--generation-config vllm` keeps the model's generation_config.json defaults out. */
export function vllmServeArgs(o: VllmServeOptions & { port: number }): string[] {
  return [
    'serve', o.model,
    '--host', o.host ?? '127.0.0.1',
    '--port', String(o.port),
    '--dtype', o.dtype ?? 'auto',
    '--max-model-len', String(o.maxModelLen ?? 4096),
    '--gpu-memory-utilization', String(o.gpuMemoryUtilization ?? 0.9),
    '--served-model-name', o.servedModelName,
    '--generation-config', 'vllm',
    ...(o.revision ? ['--revision', o.revision] : []),
    ...(o.seed !== undefined && o.seed !== null ? ['--seed', String(o.seed)] : []),
    ...(o.extraArgs ?? []),
  ];
}

export async function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function ok(url: string, timeoutMs: number): Promise<Response | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? res : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `vllm serve` and waits until it serves the model. Throws `EngineProcessError` with the output tail. */
export async function startVllm(o: VllmServeOptions): Promise<VllmProcess> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? (await freeLoopbackPort(host));
  const args = vllmServeArgs({ ...o, host, port });
  const command = o.command ?? 'vllm';
  const started = Date.now();
  const child = spawn(command, args, { env: (o.env ?? process.env) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let tail = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-8192);
    o.onOutput?.(text);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const outputTail = () => tail.split('\n').slice(-40).join('\n');
  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const killOnExit = () => killGroup('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (!done) {
      killGroup('SIGTERM');
      const grace = sleep(o.stopGraceMs ?? 20_000, 'timeout' as const, { ref: false });
      if ((await Promise.race([exited, grace])) === 'timeout') {
        killGroup('SIGKILL');
        await exited;
      }
    }
    process.removeListener('exit', killOnExit);
  };
  const failure = async (problem: string) => {
    const { code, signal } = done ? await exited : { code: null, signal: null };
    return new EngineProcessError(problem, { exitCode: code, signal, outputTail: outputTail() }, spawnError ? { cause: spawnError } : undefined);
  };

  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const deadline = started + (o.startupTimeoutMs ?? 30 * 60_000);
  const poll = o.pollIntervalMs ?? 1000;
  for (let healthy = false; ;) {
    if (done) {
      await stop();
      if (spawnError) {
        const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
        throw await failure(missing ? `cannot start ${command}: command not found (install vLLM, or give --generator-base-url)`
          : `cannot start ${command}: ${spawnError.message}`);
      }
      const { code, signal } = await exited;
      throw await failure(`vllm serve exited ${signal ? `on ${signal}` : `with code ${code}`} before becoming ready`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw await failure(`vllm serve did not become ready within ${Math.round((o.startupTimeoutMs ?? 30 * 60_000) / 1000)} s`);
    }
    healthy ||= (await ok(`${origin}/health`, 5000)) !== undefined;
    if (healthy) {
      const res = await ok(`${origin}/v1/models`, 5000);
      const body = res ? ((await res.json().catch(() => ({}))) as { data?: { id?: string }[] }) : undefined;
      if (body?.data?.some((m) => m.id === o.servedModelName)) break;
    }
    await Promise.race([sleep(poll, undefined, { ref: false }), exited]);
  }
  return {
    baseUrl: `${origin}/v1`, pid: child.pid!, command: [command, ...args], startupMs: Date.now() - started,
    outputTail, exited, hasExited: () => done, stop,
  };
}

/**
 * Runs `fn` against a started vLLM, then stops it. If vLLM dies while `fn` runs, `fn`'s signal aborts and the
 * result is an `EngineProcessError` carrying `fn`'s error (for example the rows saved) and vLLM's output tail.
 */
export async function withVllm<T>(o: VllmServeOptions, fn: (engine: VllmProcess, signal: AbortSignal) => Promise<T>,
  { signal }: { signal?: AbortSignal } = {}): Promise<T> {
  const proc = await startVllm(o);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  void proc.exited.then(() => controller.abort());
  try {
    return await fn(proc, controller.signal);
  } catch (err) {
    if (proc.hasExited() && !signal?.aborted) {
      const { code, signal: sig } = await proc.exited;
      throw new EngineProcessError(`vllm serve died during generation (${sig ? `signal ${sig}` : `exit code ${code}`}): ${(err as Error).message}`,
        { exitCode: code, signal: sig, outputTail: proc.outputTail() }, { cause: err });
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await proc.stop();
  }
}
