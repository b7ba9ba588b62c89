/**
 * Generation bench: how close the driver's default settings come to an engine's token capacity.
 *
 * The fake engine (test/support/fake-engine.ts) models continuous batching: a fixed capacity C tokens/s shared by
 * the requests in flight, at most 1 token per `perTokenLatencyMs` per request, plus a fixed time to first token.
 * With C = 10 000 tok/s and 3 ms/token, at least 30 requests must be in flight to saturate it — roughly a 1B model
 * on one A10G/L4 (≈ 10 000 tok/s aggregate, ≈ 300 tok/s per sequence), so one run takes about 25 s.
 * The ratio is (completion tokens / generation wall time) / C over the 805 eval rows; the driver's target is
 * ≥ 0.95 with default settings. Output lengths: 20–619 tokens from a hash of the prompt, cut at 512.
 * A processor-sharing simulation of the same workload with an infinitely fast client bounds the ratio at ≈ 0.99
 * for 256 in flight (the tail, when fewer than 30 requests remain, cannot be saturated by any client).
 * A second, shorter run (160 rows) with concurrency 8 shows what an unsaturated engine looks like.
 *
 * Run: npx tsx bench/generate.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../lambdas/adapters/file-blob-store.ts';
import { OpenAIEngine } from '../lambdas/adapters/openai-engine.ts';
import { resolveDecoding } from '../lambdas/core/generation/decoding.ts';
import { generateModelOutputs } from '../lambdas/services/generate.ts';
import { startFakeEngine } from '../test/support/fake-engine.ts';
import { fixturePath, readFixtureText } from '../test/support/fixtures.ts';

const CAPACITY = 10_000;
const PER_TOKEN_MS = 3;
const FIRST_TOKEN_MS = 20;
const EVAL_SET = 'reference/gpt4_1106_preview.model_outputs.json';

function evalSetText(): { text: string; source: string } {
  if (fixturePath(EVAL_SET)) return { text: readFixtureText(EVAL_SET), source: EVAL_SET };
  console.error('generate bench: AlpacaEval fixtures not found, using 805 synthetic instructions');
  const rows = Array.from({ length: 805 }, (_, i) => ({ instruction: `Synthetic instruction ${i}`, output: '', dataset: 'x' }));
  return { text: JSON.stringify(rows), source: 'synthetic' };
}

async function run(concurrency: number | undefined, maxInstances?: number): Promise<void> {
  const engine = await startFakeEngine({ capacityTokensPerSecond: CAPACITY, perTokenLatencyMs: PER_TOKEN_MS, firstTokenLatencyMs: FIRST_TOKEN_MS });
  const dir = await mkdtemp(join(tmpdir(), 'aep-gen-bench-'));
  try {
    const evalSet = evalSetText();
    const { manifest } = await generateModelOutputs({
      engine: new OpenAIEngine({ baseUrl: engine.baseUrl }),
      engineInfo: { kind: 'openai-compatible', baseUrl: engine.baseUrl },
      store: new FileBlobStore(dir),
      evalSet: { ...evalSet, sha256: sha256Hex(evalSet.text) },
      model: 'fake-model',
      promptMode: { kind: 'auto' },
      decoding: resolveDecoding(),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(maxInstances === undefined ? {} : { maxInstances }),
    });
    const s = manifest.stats;
    const ratio = (s.tokensPerSecond ?? 0) / CAPACITY;
    const label = concurrency === undefined ? `default (${manifest.concurrency})` : String(concurrency);
    console.log(`concurrency ${label.padEnd(13)} rows ${s.rows}  tokens ${s.tokensGenerated}  wall ${(s.wallTimeMs / 1000).toFixed(2)} s  ` +
      `${s.tokensPerSecond} tok/s  max in flight ${engine.stats.maxInFlight}  at limit ${s.rowsAtTokenLimit}  ` +
      `p50/p90/p99 ${s.latencyMs?.p50}/${s.latencyMs?.p90}/${s.latencyMs?.p99} ms  ratio of capacity ${ratio.toFixed(3)}` +
      (concurrency === undefined ? (ratio >= 0.95 ? '  (≥ 0.95: ok)' : '  (< 0.95: BELOW TARGET)') : ''));
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`generate bench: fake engine capacity ${CAPACITY} tok/s, ${PER_TOKEN_MS} ms/token per request ` +
  `(saturated from ${Math.ceil(CAPACITY * PER_TOKEN_MS / 1000)} in flight), ${FIRST_TOKEN_MS} ms to first token`);
await run(undefined);
await run(8, 160);
