import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startVllm, vllmServeArgs, withVllm, type VllmServeOptions } from '../../lambdas/adapters/vllm-process.ts';
import { EngineProcessError } from '../../lambdas/core/generation/errors.ts';
import { envWithPath, installVllmStandin } from '../containers/standin.ts';

let binDir: string;
beforeAll(async () => {
  ({ binDir } = await installVllmStandin());
});

async function options(extra: Record<string, string> = {}, o: Partial<VllmServeOptions> = {}) {
  const record = join(await mkdtemp(join(tmpdir(), 'aep-vllm-')), 'record.json');
  const opts: VllmServeOptions = {
    model: 'org/model', servedModelName: 'my-model', env: envWithPath(binDir, { STANDIN_RECORD: record, ...extra }),
    pollIntervalMs: 50, stopGraceMs: 1000, startupTimeoutMs: 20_000, ...o,
  };
  return { opts, record: () => JSON.parse(readFileSync(record, 'utf8')) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function failure(p: Promise<unknown>): Promise<EngineProcessError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineProcessError);
  return err as EngineProcessError;
}

describe('vllmServeArgs', () => {
  it('builds the serve command line with the optional revision and seed', () => {
    expect(vllmServeArgs({ model: 'm', servedModelName: 'n', port: 8001, revision: 'abc', seed: 4, dtype: 'bfloat16', maxModelLen: 2048, gpuMemoryUtilization: 0.8 }))
      .toEqual(['serve', 'm', '--host', '127.0.0.1', '--port', '8001', '--dtype', 'bfloat16', '--max-model-len', '2048',
        '--gpu-memory-utilization', '0.8', '--served-model-name', 'n', '--generation-config', 'vllm', '--revision', 'abc', '--seed', '4']);
    expect(vllmServeArgs({ model: 'm', servedModelName: 'n', port: 1 })).not.toContain('--revision');
  });
});

describe('startVllm', () => {
  it('starts vllm serve on a free port, waits until the model is served, and stops it with SIGTERM', async () => {
    const { opts, record } = await options({ STANDIN_STARTUP_MS: '300', HF_TOKEN: 'hf_secret' }, { seed: 9 });
    const proc = await startVllm(opts);
    const res = await fetch(`${proc.baseUrl}/models`);
    expect(((await res.json()) as { data: { id: string }[] }).data[0]!.id).toBe('my-model');
    const { argv, hfToken } = record();
    expect(argv.slice(0, 2)).toEqual(['serve', 'org/model']);
    expect(argv).toContain('--seed');
    expect(proc.command.join(' ')).not.toContain('hf_secret');
    expect(hfToken).toBe('hf_secret');
    expect(proc.startupMs).toBeGreaterThanOrEqual(300);
    await proc.stop();
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it('reports an engine that exits before becoming ready, with its output', async () => {
    const { opts } = await options({ STANDIN_MODE: 'crash' });
    const err = await failure(startVllm(opts));
    expect(err.message).toMatch(/vllm serve exited with code 3 before becoming ready; last engine output: .*CUDA out of memory/);
    expect(err.exitCode).toBe(3);
  });

  it('gives up on an engine that never becomes ready and kills it', async () => {
    const { opts, record } = await options({ STANDIN_MODE: 'hang' }, { startupTimeoutMs: 1500 });
    const err = await failure(startVllm(opts));
    expect(err.message).toMatch(/did not become ready within 2 s; last engine output: .*loading weights forever/);
    expect(alive(record().pid)).toBe(false);
  });

  it('kills an engine that ignores SIGTERM after the grace period', async () => {
    const { opts, record } = await options({ STANDIN_MODE: 'ignore-term' }, { stopGraceMs: 500 });
    const proc = await startVllm(opts);
    const t0 = Date.now();
    await proc.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect((await proc.exited).signal).toBe('SIGKILL');
    expect(alive(record().pid)).toBe(false);
  });

  it('says so when the vllm command does not exist', async () => {
    const { opts } = await options({}, { command: join(binDir, 'no-such-vllm') });
    const err = await failure(startVllm(opts));
    expect(err.message).toMatch(/cannot start .*no-such-vllm: command not found/);
  });
});

describe('withVllm', () => {
  it('turns an engine death during the work into an EngineProcessError with the output tail', async () => {
    const { opts } = await options({ STANDIN_MODE: 'die-after:1' });
    const err = await failure(withVllm(opts, async (proc, signal) => {
      await fetch(`${proc.baseUrl}/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'my-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }),
      }).catch(() => undefined);
      // the engine may already be dead (and the signal aborted) when the request returns
      await new Promise((_, reject) => {
        if (signal.aborted) reject(new Error('work aborted'));
        else signal.addEventListener('abort', () => reject(new Error('work aborted')));
      });
    }));
    expect(err.message).toMatch(/vllm serve died during generation \(exit code 1\): work aborted; last engine output: .*EngineCore died/);
  });
});
