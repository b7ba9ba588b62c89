import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGenerator } from '../../containers/generator/build.ts';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { repoRoot } from '../support/fixtures.ts';
import { createTestBucket, motoAvailability, motoClient, startMoto, type MotoServer } from '../support/moto.ts';
import { envWithPath, installVllmStandin, TSX_LOADER } from './standin.ts';

const ENTRYPOINT = join(repoRoot, 'containers', 'generator', 'entrypoint.ts');
let binDir: string;
let work: string;
let evalSet: string;
let evalRows: { instruction: string }[];

beforeAll(async () => {
  ({ binDir } = await installVllmStandin());
  work = await mkdtemp(join(tmpdir(), 'aep-entry-'));
  evalRows = Array.from({ length: 12 }, (_, i) => ({ dataset: 'synthetic', instruction: `Container instruction ${i}`, output: `r${i}`, generator: 'ref' }));
  evalSet = join(work, 'eval.json');
  await writeFile(evalSet, JSON.stringify(evalRows));
});

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the entry point (TypeScript via tsx, or a bundle) with the stand-in vllm first on PATH. */
function runEntrypoint(env: Record<string, string>, { bundle, onStart }: { bundle?: string; onStart?: (pid: number) => void } = {}): Promise<Run> {
  const args = bundle ? [bundle] : ['--import', TSX_LOADER, ENTRYPOINT];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: envWithPath(binDir, { MODEL_DIR: join(work, 'model'), AEP_CACHE_DIR: join(work, 'cache'), EVAL_SET: evalSet, ...env }) as NodeJS.ProcessEnv,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    onStart?.(child.pid!);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const runDir = () => mkdtemp(join(work, 'run-'));
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('generator entrypoint (local run folder)', () => {
  it('serves a Hugging Face model with vllm, writes the outputs and the manifest, and passes the token only in the environment', async () => {
    const run = await runDir();
    const record = join(run, '..', `standin-${Date.now()}.json`);
    const r = await runEntrypoint({
      RUN_URL: run, MODEL_SOURCE: 'org/tiny-1b', MODEL_REVISION: 'abc123', HF_TOKEN: 'hf_very_secret', STANDIN_RECORD: record,
      MAX_INSTANCES: '5', SEED: '42', TEMPERATURE: '0.3', GENERATOR_NAME: 'tiny-ft', ENGINE_DTYPE: 'bfloat16',
    });
    expect(r.stderr).not.toMatch(/aep-generator: (?!model)/);
    expect(r.code).toBe(0);
    const { argv, hfToken } = readJson(record);
    expect(argv).toEqual(expect.arrayContaining(['serve', 'org/tiny-1b', '--revision', 'abc123', '--seed', '42', '--dtype', 'bfloat16',
      '--served-model-name', 'org/tiny-1b']));
    expect(hfToken).toBe('hf_very_secret');
    expect(r.stdout + r.stderr).not.toContain('hf_very_secret');
    const rows = readJson(join(run, 'model_outputs.json')) as { generator: string }[];
    expect(rows).toHaveLength(5);
    expect(rows.every((x) => x.generator === 'tiny-ft')).toBe(true);
    expect(readJson(join(run, 'generation.json'))).toMatchObject({
      status: 'succeeded', model: 'org/tiny-1b', revision: 'abc123', engine: { kind: 'vllm' }, decoding: { temperature: 0.3, seed: 42 },
    });
    expect(r.stdout).toMatch(/aep-generator: wrote .*model_outputs\.json \(5 rows, \d+ tokens/);
  });

  it('exits 1 with the reason and the engine output when vllm crashes', async () => {
    const run = await runDir();
    const r = await runEntrypoint({ RUN_URL: run, MODEL_SOURCE: 'org/m', STANDIN_MODE: 'crash' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/aep-generator: vllm serve exited with code 3 before becoming ready; last engine output: .*CUDA out of memory/);
    expect(existsSync(join(run, 'model_outputs.json'))).toBe(false);
  });

  it('exits 1 naming the missing configuration', async () => {
    const r = await runEntrypoint({ MODEL_SOURCE: 'org/m', TOP_P: '2' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/aep-generator: bad configuration: RUN_URL is required .*; TOP_P /);
  });

  it('stops on SIGTERM with exit 143, keeps finished rows, and a restarted job resumes from them', async () => {
    const run = await runDir();
    const env = { RUN_URL: run, MODEL_SOURCE: 'org/m', CONCURRENCY: '3', STANDIN_PER_TOKEN_MS: '4', PROGRESS_INTERVAL_S: '0.2' };
    const checkpoint = join(run, 'generation-checkpoint');
    const first = await runEntrypoint(env, {
      onStart: (pid) => {
        const poll = setInterval(() => {
          if (existsSync(checkpoint) && readdirSync(checkpoint).length >= 3) {
            clearInterval(poll);
            process.kill(pid, 'SIGTERM');
          }
        }, 20);
      },
    });
    expect(first.code).toBe(143);
    expect(first.stderr).toMatch(/SIGTERM received/);
    const saved = readdirSync(checkpoint).length;
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(saved).toBeLessThan(12);
    const second = await runEntrypoint({ ...env, STANDIN_PER_TOKEN_MS: '0.01' });
    expect(second.code).toBe(0);
    expect(readJson(join(run, 'generation.json')).stats).toMatchObject({ rows: 12, rowsResumed: saved, rowsGenerated: 12 - saved });
    expect((readJson(join(run, 'model_outputs.json')) as { instruction: string }[]).map((x) => x.instruction))
      .toEqual(evalRows.map((x) => x.instruction));
  });

  it('runs the same job from the esbuild bundle', async () => {
    const bundle = await buildGenerator({ outfile: join(work, 'bundle', 'entrypoint.mjs') });
    const run = await runDir();
    const r = await runEntrypoint({ RUN_URL: run, MODEL_SOURCE: 'org/m', MAX_INSTANCES: '3' }, { bundle });
    expect(r.stderr).not.toMatch(/aep-generator: (?!model)/);
    expect(r.code).toBe(0);
    expect(readJson(join(run, 'model_outputs.json'))).toHaveLength(3);
  });
});

const moto = motoAvailability();
if (!moto.available) console.warn(`[skip] ${moto.reason}`);

describe.skipIf(!moto.available)('generator entrypoint (S3 run folder on moto_server)', () => {
  let server: MotoServer;
  let client: S3Client;
  let bucket: string;
  beforeAll(async () => {
    server = await startMoto();
    client = motoClient(server);
    bucket = await createTestBucket(client, 'aep-gen');
    const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    await put('ckpt/step-100/config.json', '{"architectures":["LlamaForCausalLM"]}');
    await put('ckpt/step-100/model.safetensors', 'weights');
    await put('ckpt/step-100/tokenizer/tokenizer.json', '{}');
    await put('ckpt/bad/model.safetensors', 'weights');
    await put('inputs/eval.json', readFileSync(evalSet, 'utf8'));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('copies an s3:// checkpoint to local disk, serves it, and writes the outputs into the S3 run folder', async () => {
    const record = join(work, `standin-s3-${Date.now()}.json`);
    const modelDir = await mkdtemp(join(work, 'model-'));
    const r = await runEntrypoint({
      ...server.env, RUN_URL: `s3://${bucket}/runs/r1/`, MODEL_SOURCE: `s3://${bucket}/ckpt/step-100/`, MODEL_REVISION: 'step-100',
      MODEL_DIR: modelDir, EVAL_SET: `s3://${bucket}/inputs/eval.json`, MAX_INSTANCES: '4', STANDIN_RECORD: record,
    });
    expect(r.stderr).not.toMatch(/aep-generator: (?!model)/);
    expect(r.code).toBe(0);
    const { argv } = readJson(record);
    expect(argv.slice(0, 2)).toEqual(['serve', join(modelDir, 'checkpoint')]);
    expect(argv).not.toContain('--revision');
    expect(argv).toEqual(expect.arrayContaining(['--served-model-name', 'step-100']));
    expect(readFileSync(join(modelDir, 'checkpoint', 'tokenizer', 'tokenizer.json'), 'utf8')).toBe('{}');
    const store = openBlobStore(`s3://${bucket}/runs/r1/`, { s3Client: client });
    const rows = JSON.parse((await store.get('model_outputs.json'))!.toString()) as { generator: string }[];
    expect(rows).toHaveLength(4);
    expect(rows[0]!.generator).toBe('step-100');
    expect(JSON.parse((await store.get('generation.json'))!.toString())).toMatchObject({ status: 'succeeded', revision: 'step-100' });
    expect(await store.list('generation-checkpoint/')).toHaveLength(4);
  });

  it('refuses a checkpoint prefix without config.json', async () => {
    const r = await runEntrypoint({ ...server.env, RUN_URL: `s3://${bucket}/runs/r2/`, MODEL_SOURCE: `s3://${bucket}/ckpt/bad/` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/aep-generator: s3:\/\/.*\/ckpt\/bad\/: no config\.json at the top of the prefix/);
  });
});
