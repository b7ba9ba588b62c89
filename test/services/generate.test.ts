import { readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { OpenAIEngine } from '../../lambdas/adapters/openai-engine.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import { legacyPermutation } from '../../lambdas/core/eval-set/max-instances.ts';
import { DEFAULT_DECODING, resolveDecoding } from '../../lambdas/core/generation/decoding.ts';
import { CheckpointMismatchError, EngineError, GenerationError } from '../../lambdas/core/generation/errors.ts';
import { LLAMA3_FALLBACK_TEMPLATE, type PromptModeRequest } from '../../lambdas/core/generation/prompt-mode.ts';
import { generateModelOutputs, type GenerateOptions } from '../../lambdas/services/generate.ts';
import { defaultOutputTokens, fakeOutputText, startFakeEngine, type FakeEngine, type FakeEngineOptions } from '../support/fake-engine.ts';
import { needFixtures } from '../support/fixtures.ts';

const EVAL_SET = 'reference/gpt4_1106_preview.model_outputs.json';
let engine: FakeEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** A small synthetic eval set (not AlpacaEval data). */
function syntheticEvalSet(n: number): string {
  return JSON.stringify(Array.from({ length: n }, (_, i) => ({
    dataset: i % 2 ? 'odd' : 'even', instruction: `Instruction number ${i}?`, output: `ref ${i}`, generator: 'ref',
  })));
}

async function setup(engineOptions: FakeEngineOptions = {}, evalText = syntheticEvalSet(12)) {
  engine = await startFakeEngine({ capacityTokensPerSecond: 1_000_000, perTokenLatencyMs: 0.001, ...engineOptions });
  const dir = await mkdtemp(join(tmpdir(), 'aep-gen-'));
  const baseUrl = engine.baseUrl;
  const options = (extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
    engine: new OpenAIEngine({ baseUrl, retry: { baseDelayMs: 2, maxDelayMs: 5, maxAttempts: 3 } }),
    engineInfo: { kind: 'openai-compatible', baseUrl },
    store: new FileBlobStore(dir),
    evalSet: { text: evalText, source: 'eval.json', sha256: sha256Hex(evalText) },
    model: 'fake-model',
    promptMode: { kind: 'auto' },
    decoding: resolveDecoding(),
    ...extra,
  });
  const read = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
  return { dir, options, read };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a failure'); }, (e: Error) => e);
}

describe('generateModelOutputs', () => {
  it('writes the 805 outputs in eval-set order, stripped, with generator and dataset, and the manifest', async (ctx) => {
    const [path] = needFixtures(ctx, EVAL_SET);
    const evalText = readFileSync(path!, 'utf8');
    const { options, read } = await setup({ capacityTokensPerSecond: 150_000, perTokenLatencyMs: 0.5 }, evalText);
    const result = await generateModelOutputs(options({ generator: 'my-run' }));
    const reference = JSON.parse(evalText) as { instruction: string; dataset: string }[];
    const rows = read('model_outputs.json') as Record<string, string>[];
    expect(rows).toHaveLength(805);
    expect(rows.map((r) => r.instruction)).toEqual(reference.map((r) => r.instruction));
    expect(rows.map((r) => r.dataset)).toEqual(reference.map((r) => r.dataset));
    expect(Object.keys(rows[0]!)).toEqual(['dataset', 'instruction', 'output', 'generator']);
    expect(new Set(rows.map((r) => r.generator))).toEqual(new Set(['my-run']));
    const body = engine!.requests[0]!.body;
    expect(body).toMatchObject({ model: 'fake-model', max_tokens: 512, temperature: 0.7, top_p: 0.9 });
    expect(body).not.toHaveProperty('seed');
    rows.forEach((row, i) => expect(row.output).toBe(expectedOutput(reference[i]!.instruction, 512)));
    const m = read('generation.json');
    expect(m).toEqual(result.manifest);
    expect(m).toMatchObject({ status: 'succeeded', model: 'fake-model', generator: 'my-run', revision: null, concurrency: 256,
      promptMode: { requested: 'auto', used: 'chat', template: null, fallbackReason: null },
      decoding: { ...DEFAULT_DECODING, sampling: true }, evalSet: { size: 805, rows: 805, maxInstances: null } });
    expect(m.stats.tokensGenerated).toBe(engine!.stats.tokensServed);
    expect(m.stats.rowsAtTokenLimit).toBe(reference.filter((r) => defaultOutputTokens(r.instruction) > 512).length);
    expect(m.stats.rowsAtTokenLimit).toBeGreaterThan(50);
    expect(m.stats.latencyMs.p50).toBeLessThanOrEqual(m.stats.latencyMs.p99);
    expect(engine!.stats.maxInFlight).toBeGreaterThan(64);
  });

  it('generates the official --max-instances subset in eval-set order', async (ctx) => {
    const [path] = needFixtures(ctx, EVAL_SET);
    const evalText = readFileSync(path!, 'utf8');
    const { options, read } = await setup({}, evalText);
    await generateModelOutputs(options({ maxInstances: 7, decoding: resolveDecoding({ seed: 3, maxNewTokens: 64 }) }));
    const reference = JSON.parse(evalText) as { instruction: string }[];
    const expected = legacyPermutation(805).slice(0, 7).sort((a, b) => a - b).map((i) => reference[i]!.instruction);
    expect((read('model_outputs.json') as { instruction: string }[]).map((r) => r.instruction)).toEqual(expected);
    expect(engine!.requests).toHaveLength(7);
    expect(engine!.requests.every((r) => r.body.seed === 3 && r.body.max_tokens === 64)).toBe(true);
    expect(read('generation.json').evalSet).toMatchObject({ size: 805, rows: 7, maxInstances: 7 });
  });

  it('falls back to the Llama-3 prompt on /v1/completions when the model has no chat template', async () => {
    const { options, read } = await setup({ noChatTemplate: true });
    await generateModelOutputs(options());
    const completions = engine!.requests.filter((r) => r.path === '/v1/completions');
    expect(completions).toHaveLength(12);
    expect(completions.map((r) => r.prompt)).toContain(LLAMA3_FALLBACK_TEMPLATE.replace('{instruction}', 'Instruction number 3?'));
    expect(read('model_outputs.json')[3].output).toBe(
      expectedOutput(LLAMA3_FALLBACK_TEMPLATE.replace('{instruction}', 'Instruction number 3?'), 512));
    expect(read('generation.json').promptMode).toMatchObject({
      requested: 'auto', used: 'llama3-fallback', template: LLAMA3_FALLBACK_TEMPLATE, rowsByMode: { 'llama3-fallback': 12 },
      fallbackReason: expect.stringMatching(/no chat template.*default chat template is no longer allowed/),
    });
  });

  it('fills a prompt template and sends it to /v1/completions', async () => {
    const { options, read } = await setup();
    const promptMode: PromptModeRequest = { kind: 'template', template: '\n\nHuman: {instruction}\n\nAssistant:', source: 'hh.txt' };
    await generateModelOutputs(options({ promptMode }));
    expect(engine!.requests.every((r) => r.path === '/v1/completions')).toBe(true);
    expect(engine!.requests.map((r) => r.prompt)).toContain('\n\nHuman: Instruction number 0?\n\nAssistant:');
    expect(read('generation.json').promptMode).toMatchObject({ requested: 'template', used: 'template', templateSource: 'hh.txt' });
  });

  it('refuses a template without {instruction} before sending anything', async () => {
    const { options } = await setup();
    const promptMode: PromptModeRequest = { kind: 'template', template: 'Q: {question}', source: 'bad.txt' };
    const err = await rejection(generateModelOutputs(options({ promptMode })));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/bad\.txt: a prompt template must contain \{instruction\} exactly once, found 0/);
    expect(engine!.requests).toHaveLength(0);
  });

  it('keeps finished rows when a request fails, and a rerun requests only the missing rows', async () => {
    const { dir, options, read } = await setup({ fault: (_r, n) => (n === 5 ? { type: 'status', status: 400, message: 'bad row' } : undefined) });
    const err = await rejection(generateModelOutputs(options({ concurrency: 1 })));
    expect(err).toBeInstanceOf(GenerationError);
    expect(err.message).toMatch(/refused the request .*HTTP 400 bad row \(5 of 12 rows are saved in .*generation-checkpoint; rerun/);
    expect((err.cause as EngineError).kind).toBe('rejected');
    expect(read('generation.json')).toMatchObject({ status: 'failed', stats: { rows: 5 } });
    expect(await readdir(join(dir, 'generation-checkpoint'))).toHaveLength(5);
    const firstPrompts = engine!.requests.slice(0, 5).map((r) => r.prompt);
    engine!.options.fault = undefined;
    engine!.requests.length = 0;
    const result = await generateModelOutputs(options());
    expect(engine!.requests).toHaveLength(7);
    expect(engine!.requests.map((r) => r.prompt).filter((p) => firstPrompts.includes(p))).toEqual([]);
    expect(result.rows).toHaveLength(12);
    expect(result.manifest.stats).toMatchObject({ rows: 12, rowsResumed: 5, rowsGenerated: 7 });
  });

  it('refuses to mix rows generated with other settings', async () => {
    const { options } = await setup({ fault: (_r, n) => (n === 3 ? { type: 'status', status: 400 } : undefined) });
    await rejection(generateModelOutputs(options({ concurrency: 1 })));
    engine!.options.fault = undefined;
    const err = await rejection(generateModelOutputs(options({ decoding: resolveDecoding({ temperature: 0.5 }) })));
    expect(err).toBeInstanceOf(CheckpointMismatchError);
    expect(err.message).toMatch(/other settings \(decoding\.temperature: 0\.7 → 0\.5\)/);
  });

  it('fails with a typed error on an answer without choices', async () => {
    const { options } = await setup({ fault: (_r, n) => (n === 2 ? { type: 'empty-choices' } : undefined) });
    const err = await rejection(generateModelOutputs(options({ concurrency: 1 })));
    expect(err).toBeInstanceOf(GenerationError);
    expect(err.message).toMatch(/answered with no choices .*\(2 of 12 rows are saved/);
  });

  it('fails after retries when the engine keeps answering 500', async () => {
    const { options } = await setup({ fault: (_r, n) => (n >= 1 ? { type: 'status', status: 500 } : undefined) });
    const err = await rejection(generateModelOutputs(options({ concurrency: 1 })));
    expect(err.message).toMatch(/failed after 3 attempts: HTTP 500 .*\(1 of 12 rows are saved/);
    expect(engine!.requests).toHaveLength(4);
  });

  it('fails fast when the endpoint is unreachable', async () => {
    const { options } = await setup();
    const url = engine!.baseUrl;
    await engine!.close();
    engine = undefined;
    const started = Date.now();
    const err = await rejection(generateModelOutputs(options({ engine: new OpenAIEngine({ baseUrl: url }) })));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(GenerationError);
    expect(err.message).toMatch(/cannot reach the engine at http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED .*\(0 of 12 rows/);
  });

  it('stops when cancelled and reports progress at the end', async () => {
    const { options } = await setup({ fault: () => ({ type: 'hang' }) });
    const controller = new AbortController();
    const snapshots: { done: number; final: boolean }[] = [];
    setTimeout(() => controller.abort(), 200);
    const err = await rejection(generateModelOutputs(options({
      signal: controller.signal, progressIntervalMs: 50, onProgress: (s, final) => snapshots.push({ done: s.done, final }),
    })));
    expect(err.message).toMatch(/^generation cancelled/);
    expect(snapshots.at(-1)).toEqual({ done: 0, final: true });
    expect(snapshots.length).toBeGreaterThan(1);
  });
});

/** What the fake engine answers for a prompt, stripped as the official tool does. */
function expectedOutput(prompt: string, maxTokens: number): string {
  return fakeOutputText(prompt, Math.min(maxTokens, defaultOutputTokens(prompt))).trim();
}
