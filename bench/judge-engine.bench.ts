/**
 * Judge-engine bench: how close the judge service, with the settings an engine of our own gets
 * (`ENGINE_JUDGE_CONCURRENCY` requests in flight, the official request: one output token, top-5 logprobs), comes to
 * the judgement capacity of a self-hosted engine.
 *
 * The fake engine (test/support/fake-engine.ts) models continuous batching over a shared capacity of C work units/s;
 * a judge request costs its output token plus `PROMPT_TOKEN_COST` per prompt token (prefill; prompt tokens ≈
 * characters / 4), and one request never progresses faster than 1 unit per `PER_UNIT_MS` — so the engine is
 * saturated only with at least C · PER_UNIT_MS / 1000 requests in flight (16 here). With C = 1000 and ≈ 900 prompt
 * tokens per request, one request alone takes ≈ 0.3 s and the engine judges ≈ 50 rows/s — the shape of an 8B judge
 * on one GPU, scaled up ≈ 20× so one run takes ≈ 15 s.
 * The engine's capacity for the run is (work of every answered request) / C seconds; the ratio is that over the
 * judge's wall time (which includes the first-row probe, judged alone before the others, and the tail when fewer
 * than 16 requests remain), i.e. judged rows/s ÷ the engine's rows/s. Target ≥ 0.95.
 * A second run with 8 in flight on 200 rows shows an unsaturated engine. A third judges the same 805 rows as the judge
 * job does (containers/judge: a run folder prepared by PrepareRun, one judging pass with 64 in flight, then the Judge
 * Chunk step writes the 17 chunk files from the cache): the ratio over the judging pass, and over the whole job (the
 * chunk files add a fixed second or two of CPU work, small beside minutes of real judging, large beside this
 * compressed 17 s run).
 *
 * Inputs: the 805 reference rows and alpaca-7b's outputs from the fixtures (AEP_FIXTURES); never committed.
 * Run: AEP_FIXTURES=/path/to/alpacaeval npx tsx bench/judge-engine.bench.ts
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJudgeJob } from '../containers/judge/run.ts';
import { localDeps } from '../infra/local/local-deps.ts';
import { AssetResolver } from '../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../lambdas/adapters/file-blob-store.ts';
import { prepareRun } from '../lambdas/services/workflow/prepare-run.ts';
import { BlobJudgeCache } from '../lambdas/adapters/judge-cache.ts';
import { OpenAIJudgeClient } from '../lambdas/adapters/openai-judge-client.ts';
import { ENGINE_JUDGE_CONCURRENCY } from '../lambdas/adapters/vllm-judge-engine.ts';
import { JUDGE_PRESETS } from '../lambdas/core/judge/presets.ts';
import { judgeRun } from '../lambdas/services/judge/judge-run.ts';
import { DEFAULT_SCHEDULER_SETTINGS } from '../lambdas/services/judge/scheduler.ts';
import { startFakeEngine } from '../test/support/fake-engine.ts';
import { fixturePath, readFixtureText } from '../test/support/fixtures.ts';

const CAPACITY = 1000;
const PER_UNIT_MS = 16;
const PROMPT_TOKEN_COST = 0.02;
const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const TEMPLATE = 'judge/alpaca_eval_clf.txt';
const OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';
const preset = JUDGE_PRESETS.vllm_llama3_8b!;

async function run(concurrency: number, rows?: number): Promise<void> {
  const engine = await startFakeEngine({
    models: [preset.model], capacityTokensPerSecond: CAPACITY, perTokenLatencyMs: PER_UNIT_MS, promptTokenCost: PROMPT_TOKEN_COST,
  });
  const dir = await mkdtemp(join(tmpdir(), 'aep-judge-engine-bench-'));
  try {
    const { summary } = await judgeRun({
      assets: new AssetResolver({ cacheDir: dir, overrides: { 'eval-set': fixturePath(REFERENCE)!, 'judge-template': fixturePath(TEMPLATE)! } }),
      modelOutputs: { text: readFixtureText(OUTPUTS), fileName: OUTPUTS },
      preset,
      ...(rows ? { rowIndices: Array.from({ length: rows }, (_, i) => i) } : {}),
      client: new OpenAIJudgeClient({ model: preset.model, apiKey: 'EMPTY', baseUrl: engine.baseUrl, request: preset.request }),
      cache: BlobJudgeCache.inDirectory(join(dir, 'judge')),
      scheduler: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency },
      preflight: { baseUrl: engine.baseUrl },
    });
    const wallS = summary.wallTimeMs / 1000;
    const capacityS = engine.stats.work / CAPACITY;
    const ratio = capacityS / wallS;
    const label = concurrency === ENGINE_JUDGE_CONCURRENCY ? `${concurrency} (engine default)` : String(concurrency);
    console.log(`in flight ${label.padEnd(20)} rows ${summary.rows}  judged ${summary.judged}  nan ${summary.nan}  failed ${summary.failed}  `
      + `wall ${wallS.toFixed(2)} s  ${(summary.judged / wallS).toFixed(1)} rows/s  engine capacity ${(summary.judged / capacityS).toFixed(1)} rows/s  `
      + `max in flight ${engine.stats.maxInFlight}  ratio of capacity ${ratio.toFixed(3)}`
      + (concurrency === ENGINE_JUDGE_CONCURRENCY ? (ratio >= 0.95 ? '  (≥ 0.95: ok)' : '  (< 0.95: BELOW TARGET)') : ''));
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The judge job over a prepared run folder of the same 805 rows. */
async function runJob(): Promise<void> {
  const engine = await startFakeEngine({
    models: [preset.model], capacityTokensPerSecond: CAPACITY, perTokenLatencyMs: PER_UNIT_MS, promptTokenCost: PROMPT_TOKEN_COST,
  });
  const dir = await mkdtemp(join(tmpdir(), 'aep-judge-engine-bench-'));
  try {
    const outputs = join(dir, 'model_outputs.json');
    await writeFile(outputs, readFixtureText(OUTPUTS));
    const results = join(dir, 'results');
    const deps = localDeps({ store: new FileBlobStore(results), cacheDir: join(dir, 'assets'), env: { AEP_OFFLINE: '1' }, log: { info() {}, warn() {}, error() {} }, version: 'bench' });
    const { judgeClient: _none, ...withoutJudge } = deps;
    const { runId, chunks, config } = await prepareRun(withoutJudge as typeof deps, { input: { config: {
      model: 'alpaca-7b', modelOutputs: outputs, judge: { preset: preset.name },
      assets: {
        evalSet: fixturePath(REFERENCE)!, judgeTemplate: fixturePath(TEMPLATE)!, gamed: fixturePath('standin/df_gamed.csv')!,
        instructionDifficulty: fixturePath('standin/instruction_difficulty.csv')!,
        leaderboard: fixturePath('leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv')!,
      },
    } } });
    const lines: string[] = [];
    const code = await runJudgeJob({
      env: { RESULTS_URL: results, RUN_ID: runId, JUDGE_BASE_URL: engine.baseUrl, AEP_CACHE_DIR: join(dir, 'assets'), AEP_OFFLINE: '1', JUDGE_PARALLEL_CHUNKS: process.env.JUDGE_PARALLEL_CHUNKS },
      out: (l) => lines.push(l), err: (t) => lines.push(t),
    });
    if (code !== 0) throw new Error(`judge job exited ${code}: ${lines.join('\n')}`);
    const job = JSON.parse((await new FileBlobStore(results).get(`runs/${runId}/judge/engine-job.json`))!.toString('utf8'));
    const wallS = job.wallMs / 1000;
    const passS = job.judgingPassMs / 1000;
    const capacityS = engine.stats.work / CAPACITY;
    const ratio = capacityS / passS;
    console.log(`judge job (one pass, ${lines[0]!.match(/(\d+) in flight/)![1]} in flight, then ${chunks.length} chunk files of ${config.judge.chunkSize})  `
      + `rows ${job.rows}  paid ${job.paid}  judging pass ${passS.toFixed(2)} s  ${(job.paid / passS).toFixed(1)} rows/s  engine capacity ${(job.paid / capacityS).toFixed(1)} rows/s  `
      + `max in flight ${engine.stats.maxInFlight}  ratio of capacity ${ratio.toFixed(3)}${ratio >= 0.95 ? '  (≥ 0.95: ok)' : '  (< 0.95: BELOW TARGET)'}  `
      + `· whole job ${wallS.toFixed(2)} s (chunk files ${(wallS - passS).toFixed(2)} s), ratio ${(capacityS / wallS).toFixed(3)}`);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (!fixturePath(REFERENCE) || !fixturePath(TEMPLATE) || !fixturePath(OUTPUTS)) {
  console.error(`judge-engine bench: fixtures not found (${REFERENCE}, ${TEMPLATE}, ${OUTPUTS}); set AEP_FIXTURES`);
  process.exit(1);
}
console.log(`judge-engine bench: fake engine capacity ${CAPACITY} units/s, ${PER_UNIT_MS} ms/unit per request `
  + `(saturated from ${Math.ceil(CAPACITY * PER_UNIT_MS / 1000)} in flight), ${PROMPT_TOKEN_COST} unit per prompt token + 1 per output token`);
if (!process.env.JOB_ONLY) {
  await run(ENGINE_JUDGE_CONCURRENCY);
  await run(8, 200);
}
await runJob();
