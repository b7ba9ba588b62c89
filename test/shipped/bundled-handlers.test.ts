/**
 * The Lambda bundles the stack ships (synthesised with bundling by `support/shipped.ts`), imported and invoked
 * against loopback servers: moto for S3 and Secrets Manager, the fake OpenAI API for the judge. What AWS would run,
 * minified, keep-names and all: a failure must reach Step Functions under the name its Retry clause matches.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRYABLE_JUDGE_ERRORS } from '../../infra/constructs/eval-workflow.ts';
import { TOKENIZER_DIR } from '../../lambdas/services/judge/token-count.ts';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { RunConfigSchema, runIdFor } from '../../lambdas/core/run/run-config.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, missingFixtures, missingMessage } from '../support/fixtures.ts';
import { motoAvailability, startMoto, type MotoServer } from '../support/moto.ts';
import { bundledLambdas, importBundledHandler, setLambdaEnvironment, shippedAssembly, stateMachineErrorNames, type ShippedAssembly } from '../support/shipped.ts';
import { assetOverrides, FIXTURES, MODEL, newBucket, readJson, runWorkflow } from '../workflow/harness.ts';

const moto = motoAvailability();
const missing = missingFixtures(...FIXTURES);
const skip = !moto.available ? moto.reason : missing.length ? missingMessage(missing) : undefined;
if (skip) console.warn(`[skip] shipped bundle tests: ${skip}`);

let s3: MotoServer;
let judge: FakeOpenAI;
let engine: FakeEngine;
let assembly: ShippedAssembly;
let secretArn: string;
let restoreEnv: () => void = () => {};
let outputsFile: string;

beforeAll(async () => {
  if (skip) return;
  [s3, judge, engine, assembly] = await Promise.all([
    startMoto(), startFakeOpenAI(), startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 }), shippedAssembly(),
  ]);
  const secrets = new SecretsManagerClient({ endpoint: s3.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  secretArn = (await secrets.send(new CreateSecretCommand({ Name: `aep-openai-${Date.now()}`, SecretString: 'sk-test' }))).ARN!;
  secrets.destroy();
  // model outputs that differ from the reference (identical pairs are ties the judge is never asked about)
  const reference = JSON.parse(await readFile(fixturePath(FIXTURES[0]!)!, 'utf8')) as { output: string; generator: string }[];
  outputsFile = join(await mkdtemp(join(tmpdir(), 'aep-shipped-')), 'model_outputs.json');
  await writeFile(outputsFile, JSON.stringify(reference.slice(0, 10).map((r) => ({ ...r, output: `${r.output} (shipped-test model)`, generator: 'shipped-test' }))));
}, 240_000);
afterAll(async () => {
  restoreEnv();
  await Promise.all([s3?.stop(), judge?.close(), engine?.close()]);
});

/** A fresh bucket, and the bundles' environment pointing at it (as the stack sets it). */
async function lambdaEnvironment(): Promise<string> {
  const bucket = await newBucket(s3);
  restoreEnv();
  restoreEnv = setLambdaEnvironment(s3.endpoint, { RESULTS_BUCKET: bucket, OPENAI_SECRET_ARN: secretArn, AEP_VERSION: 'test' });
  return bucket;
}

function config(extra: Record<string, unknown> = {}) {
  return {
    model: MODEL, maxInstances: 10, modelOutputs: outputsFile,
    judge: { baseUrl: judge.baseUrl, concurrency: 4, chunkSize: 5 }, assets: assetOverrides(), ...extra,
  };
}

interface Prepared { runPrefix: string; chunks: unknown[] }

/** Prepares a run with the bundled PrepareRun and judges its first chunk with the bundled JudgeChunk. */
async function judgeFirstChunk(name: string): Promise<unknown> {
  await lambdaEnvironment();
  const prepare = await importBundledHandler<{ input: { config: unknown } }, Prepared>(assembly, 'PrepareRun');
  const run = await prepare({ input: { config: config({ name }) } });
  const judgeChunk = await importBundledHandler(assembly, 'JudgeChunk');
  return judgeChunk({ runPrefix: run.runPrefix, chunk: run.chunks[0] }).then(() => undefined, (err: unknown) => err);
}

/** Error names the bundles threw in the tests above (tests of a file run in order). */
const thrown = new Set<string>();

describe.skipIf(!!skip)('the shipped Lambda bundles', () => {
  it('JudgeChunk throws JudgeQuotaError, under that name, when the judge account has no quota', async () => {
    judge.options.fault = () => ({ type: 'status', status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' });
    const err = (await judgeFirstChunk('quota-model')) as Error;
    judge.options.fault = undefined;
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('JudgeQuotaError');
    expect(RETRYABLE_JUDGE_ERRORS).toContain(err.name);
    thrown.add(err.name);
  });

  it('JudgeChunk throws JudgeRowsFailedError, under that name, when rows still have no judgement', async () => {
    judge.options.fault = () => ({ type: 'status', status: 400, message: 'unsupported request' });
    const err = (await judgeFirstChunk('failing-rows-model')) as Error;
    judge.options.fault = undefined;
    expect(err.name).toBe('JudgeRowsFailedError');
    expect(err.message).toMatch(/row\(s\) have no judgement/);
    thrown.add(err.name);
  });

  it('PrepareRun counts the budget\'s prompt tokens with the encodings shipped beside its bundle, not inside it', async () => {
    const prepareBundle = assembly.bundles.PrepareRun!;
    const beside = join(dirname(prepareBundle), TOKENIZER_DIR);
    expect(readdirSync(beside).sort()).toEqual(['cl100k_base.mjs', 'o200k_base.mjs']);
    // the tables are not in any bundle (the largest, o200k, is 2.7 MB); only PrepareRun ships them
    for (const [id, file] of Object.entries(assembly.bundles)) {
      expect(statSync(file).size, id).toBeLessThan(2_000_000);
      if (id !== 'PrepareRun') expect(existsSync(join(dirname(file), TOKENIZER_DIR)), id).toBe(false);
    }
    await lambdaEnvironment();
    const event = { input: { config: config({ name: 'budget-check', budgetUsd: 0.0001 }) } };
    const bundled = await importBundledHandler(assembly, 'PrepareRun');
    const err = await bundled(event).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.name).toBe('BudgetExceededError');
    expect(err?.message).toMatch(/^judging could cost \$\d+\.\d\d \(\d+ prompt tokens for 10 rows\)/);
    // the same count as the sources, which import the tokenizer package
    await lambdaEnvironment();
    const { handler } = await import('../../lambdas/handlers/prepare.ts');
    const fromSources = await handler(event as never, {} as never).then(() => undefined, (e: unknown) => e as Error);
    expect(fromSources?.message).toBe(err?.message);
  });

  it('a Judge Chunk stops before its Lambda times out, hands its rows back, and the state machine runs it again until done', async () => {
    const bucket = await lambdaEnvironment();
    const TIMEOUT_MS = 6_000;
    // 15 rows a chunk, one at a time, 0.4 s each: 6 s of judging per chunk, more than one turn of a 6 s Lambda allows
    judge.options.latencyMs = 400;
    judge.answered.clear();
    // every invocation, timed: none may outlive the function's timeout
    const durations: number[] = [];
    const shipped = bundledLambdas(assembly);
    const timed: typeof shipped = (arn, state) => {
      const fn = shipped(arn, state);
      return async (event, context) => {
        const started = Date.now();
        try {
          return await fn(event, context);
        } finally {
          if (state === 'Judge Chunk') durations.push(Date.now() - started);
        }
      };
    };
    const cfg = { model: MODEL, name: 'time-budget', maxInstances: 30, judge: { baseUrl: judge.baseUrl, concurrency: 1, chunkSize: 15, requestTimeoutSeconds: 1 }, assets: assetOverrides() };
    const { result, states } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl, lambdas: timed, lambdaTimeoutMs: TIMEOUT_MS });
    judge.options.latencyMs = undefined;
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    // 2 chunks, and the Choice sent at least one back for another turn (a turn that bought nothing would have thrown
    // and been retried instead: on a slow machine the first, cold, turn can be one)
    expect(states.filter((e) => e.type === 'entered' && e.state === 'Chunk Done?').length).toBeGreaterThan(2);
    expect(Math.max(...durations)).toBeLessThan(TIMEOUT_MS);
    // never paid twice, and every turn's purchases counted once in the manifest
    expect(Math.max(...judge.answered.values())).toBe(1);
    const paid = [...judge.answered.values()].reduce((a, b) => a + b, 0);
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runIdFor(RunConfigSchema.parse(cfg))}/manifest.json`))!;
    expect(manifest.stages.judge!.details).toMatchObject({ rows: 30, paid, failed: 0, chunks: 2 });
  }, 120_000);

  it('every error name the state machine matches is one a shipped bundle throws under that name', () => {
    const names = stateMachineErrorNames(assembly);
    expect(names).toEqual([...RETRYABLE_JUDGE_ERRORS].sort());
    expect([...thrown].sort()).toEqual(names);
  });

  it('runs the local workflow on the bundles: a chunk whose rows failed is retried by the Retry clause and the run succeeds', async () => {
    const bucket = await lambdaEnvironment();
    // the first answer to every fifth prompt is a non-retryable 400: its chunk fails once, then its retry succeeds
    const seen = new Map<string, number>();
    judge.options.fault = (req) => {
      const count = (seen.get(req.promptKey) ?? 0) + 1;
      seen.set(req.promptKey, count);
      return count === 1 && seen.size % 5 === 0 ? { type: 'status', status: 400, message: 'unsupported request' } : undefined;
    };
    judge.answered.clear();
    const cfg = { model: MODEL, name: 'bundled-run', maxInstances: 20, judge: { baseUrl: judge.baseUrl, concurrency: 4, chunkSize: 10 }, assets: assetOverrides() };
    const { result, states } = await runWorkflow({ moto: s3, bucket, config: cfg, engineBaseUrl: engine.baseUrl, lambdas: bundledLambdas(assembly) });
    judge.options.fault = undefined;
    expect(result).toMatchObject({ status: 'SUCCEEDED' });
    const retried = states.filter((e) => e.type === 'retried' && e.state === 'Judge Chunk');
    expect(retried.length).toBeGreaterThan(0);
    expect(states.filter((e) => e.type === 'failed' && e.state === 'Judge Chunk').every((e) => e.error?.startsWith('JudgeRowsFailedError'))).toBe(true);
    expect(Math.max(...judge.answered.values())).toBe(1);
    const runId = runIdFor(RunConfigSchema.parse(cfg));
    const manifest = (await readJson<RunManifest>(s3, bucket, `runs/${runId}/manifest.json`))!;
    expect(manifest.status).toBe('succeeded');
    expect(manifest.results!.n_total).toBe(20);
    expect(manifest.versions.pipeline).toBe('test');
    expect(manifest.execution).toMatch(/^local:/); // Prepare records the execution running the attempt
  });
});
