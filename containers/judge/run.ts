/**
 * The judge job (a GPU Batch job instead of the OpenAI fan-out, #14): reads a prepared run folder (manifest, inputs,
 * model_outputs.json) and its judge plan from a blob store (`s3://` or a directory), starts vLLM for the run's
 * open-weights judge preset (or uses JUDGE_BASE_URL), and judges every chunk of the plan with the same step code as
 * the "Judge Chunk" Lambda: first one pass over every row of the run with the engine saturated (64 requests in
 * flight, the inputs loaded once, one first-row probe), which fills the content-addressed judge cache (default
 * `<results>/cache/judge/`, as in the cloud); then the Judge Chunk step (`judgeChunkStep`) for every chunk of the plan,
 * which finds its rows in the cache and writes the same chunk files `judge/chunk-NNNN.json` (their stats therefore
 * count these rows as cached; `judge/engine-job.json` counts what the engine judged). Every judgement is in the cache
 * as soon as it is answered, so after a spot interruption (SIGTERM, or a hard kill) a rerun judges only the rows not
 * yet cached, and complete chunk files are reused.
 *
 * Configuration (environment):
 * - RESULTS_URL (required): the results store root, `s3://bucket[/prefix]` or a directory (runs under `runs/<id>/`).
 * - RUN_ID (required): the run id (a run folder PrepareRun has written).
 * - JUDGE_PLAN_KEY: the plan in the run folder (default `judge/plan.json`: `{"chunks": [{index, start, end, last}]}`,
 *   the `chunks` of PrepareRun's result); when absent the plan is derived from the run's inputs as PrepareRun does.
 * - JUDGE_CACHE_URL: the judge cache (default `<RESULTS_URL>/cache/judge/`).
 * - JUDGE_BASE_URL: an engine already serving the judge model (no vLLM started); JUDGE_API_KEY its key.
 * - JUDGE_TENSOR_PARALLEL: GPUs of the judge vLLM (default the preset's least); ENGINE_STARTUP_TIMEOUT_S.
 * - JUDGE_CONCURRENCY: requests in flight in the judging pass (default 64).
 * - JUDGE_PARALLEL_CHUNKS: chunk files written at once after it (default 4).
 * - AEP_CACHE_DIR: asset cache on local disk (default /tmp/aep-cache).
 * Outputs: the chunk files and cache entries; `judge/engine-job.json` (chunks, rows paid/cached/failed, engine up
 * time, GPU-minutes). Exit 0 when every chunk is complete, 1 otherwise (failed rows named on stderr; a rerun retries
 * only them), 143 after SIGTERM.
 */
import { AssetResolver } from '../../lambdas/adapters/assets.ts';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { BlobJudgeCache } from '../../lambdas/adapters/judge-cache.ts';
import { OpenAIJudgeClient } from '../../lambdas/adapters/openai-judge-client.ts';
import { readSource } from '../../lambdas/adapters/read-source.ts';
import { ENGINE_JUDGE_CONCURRENCY, LazyJudgeEngine } from '../../lambdas/adapters/vllm-judge-engine.ts';
import { withJudge } from '../../lambdas/handlers/judge-deps.ts';
import { selectMaxInstances } from '../../lambdas/core/eval-set/max-instances.ts';
import { parseModelOutputs } from '../../lambdas/core/eval-set/schema.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { planJudgeChunks, runPrefix, RUN_FILES, type JudgeChunk } from '../../lambdas/core/run/layout.ts';
import type { LogPort } from '../../lambdas/ports.ts';
import { judgeRun } from '../../lambdas/services/judge/judge-run.ts';
import { DEFAULT_SCHEDULER_SETTINGS } from '../../lambdas/services/judge/scheduler.ts';
import { runInputs } from '../../lambdas/services/workflow/run-assets.ts';
import {
  judgeChunkStep, judgeMaxInstances, presetOf, runModelName, schedulerOf, type JudgeDeps,
} from '../../lambdas/services/workflow/judge-step.ts';
import { RunFolder } from '../../lambdas/services/workflow/run-store.ts';

export interface JudgeJobIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (text: string) => void;
}

export const ENGINE_JOB_FILE = RUN_FILES.engineJob;

function required(env: Record<string, string | undefined>, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new UsageError(`${name} is not set (see containers/judge/README.md)`);
  return v;
}

function positive(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** The judge plan: `judge/plan.json` when the run folder has one, else derived from the inputs as PrepareRun does. */
export async function judgePlan(run: RunFolder, key: string): Promise<{ chunks: JudgeChunk[]; source: string }> {
  const text = await run.text(key);
  if (text !== undefined) {
    let plan: { chunks?: unknown };
    try {
      plan = JSON.parse(text) as { chunks?: unknown };
    } catch (err) {
      throw new UsageError(`${run.store.locate(key)}: not JSON (${(err as Error).message})`);
    }
    const chunks = plan.chunks;
    const ok = (c: unknown): c is JudgeChunk => typeof c === 'object' && c !== null
      && Number.isInteger((c as JudgeChunk).index) && Number.isInteger((c as JudgeChunk).start)
      && Number.isInteger((c as JudgeChunk).end) && typeof (c as JudgeChunk).last === 'boolean';
    if (!Array.isArray(chunks) || chunks.length === 0) throw new UsageError(`${run.store.locate(key)}: field "chunks" must be a non-empty array`);
    const bad = chunks.findIndex((c) => !ok(c));
    if (bad >= 0) throw new UsageError(`${run.store.locate(key)}: chunks[${bad}] must have integer index, start, end and boolean last`);
    return { chunks: chunks as JudgeChunk[], source: run.store.locate(key) };
  }
  const manifest = await run.requireManifest();
  const config = manifest.config;
  const evalSet = parseModelOutputs(await run.require(RUN_FILES.evalSet), run.store.locate(RUN_FILES.evalSet));
  const nRows = config.maxInstances
    ? selectMaxInstances({ reference: evalSet.rows, modelOutputs: evalSet.rows, maxInstances: config.maxInstances }).reference.length
    : evalSet.rows.length;
  return { chunks: planJudgeChunks(nRows, config.judge.chunkSize), source: `derived from ${run.store.locate(RUN_FILES.evalSet)}` };
}

function jsonLog(err: (t: string) => void): LogPort {
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => err(`${JSON.stringify({ level, msg, ...fields })}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

export async function runJudgeJob({ env, out, err }: JudgeJobIo): Promise<number> {
  let engine: LazyJudgeEngine | undefined;
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    err(`aep-judge: ${sig} received: stopping; judged rows stay in the judge cache, a rerun judges only the others\n`);
    void (engine?.stop() ?? Promise.resolve()).finally(() => process.exit(143));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const resultsUrl = required(env, 'RESULTS_URL');
    const runId = required(env, 'RUN_ID');
    const store = openBlobStore(resultsUrl, { env });
    const prefix = runPrefix(runId);
    const run = new RunFolder(store, prefix);
    const manifest = await run.manifest();
    if (!manifest) throw new UsageError(`no run ${runId} in ${store.locate(prefix)} (manifest.json missing): PrepareRun writes it`);
    if (!(await run.text(RUN_FILES.modelOutputs))) throw new UsageError(`${store.locate(`${prefix}${RUN_FILES.modelOutputs}`)} is missing: generation has not finished`);
    const config = manifest.config;
    const preset = presetOf(config);
    const { chunks, source } = await judgePlan(run, env.JUDGE_PLAN_KEY || RUN_FILES.judgePlan);

    const cacheDir = env.AEP_CACHE_DIR || '/tmp/aep-cache';
    const base = {
      store,
      assetsFor: (a: Parameters<JudgeDeps['assetsFor']>[0]) => new AssetResolver({
        cacheDir, env,
        overrides: { 'eval-set': a.evalSet, 'judge-template': a.judgeTemplate, gamed: a.gamed, 'instruction-difficulty': a.instructionDifficulty, leaderboard: a.leaderboard },
      }),
      readSource: (location: string) => readSource(location, { store, env }),
      openAiKey: async () => undefined,
      log: jsonLog(err),
      now: () => new Date(),
      versions: { pipeline: env.AEP_VERSION ?? 'dev', node: process.version },
    };
    const deps: JudgeDeps = withJudge(base, env.JUDGE_CACHE_URL ? { cacheStore: openBlobStore(env.JUDGE_CACHE_URL, { env }) } : {});
    const apiKey = env.JUDGE_API_KEY || 'EMPTY';
    if (env.JUDGE_BASE_URL) {
      const baseUrl = env.JUDGE_BASE_URL;
      deps.judgeClient = async (p) => new OpenAIJudgeClient({ model: p.model, apiKey, baseUrl, request: p.request });
    } else {
      const tp = positive(env, 'JUDGE_TENSOR_PARALLEL');
      const startup = positive(env, 'ENGINE_STARTUP_TIMEOUT_S');
      engine = new LazyJudgeEngine(preset, { env, onOutput: err, ...(tp ? { tensorParallel: tp } : {}), ...(startup ? { startupTimeoutMs: startup * 1000 } : {}) });
      const e = engine;
      deps.judgeClient = async (p) => e.client(p, apiKey);
    }
    deps.batchClient = async () => {
      throw new UsageError('the judge job judges in real time on its engine; the Batch API is not used');
    };

    const concurrency = positive(env, 'JUDGE_CONCURRENCY') ?? ENGINE_JUDGE_CONCURRENCY;
    const parallel = positive(env, 'JUDGE_PARALLEL_CHUNKS') ?? 4;
    out(`aep-judge: run ${runId}, judge ${preset.name} (${preset.model}), ${chunks.length} chunks (plan ${source}), ${concurrency} in flight, `
      + `${env.JUDGE_BASE_URL ? `engine ${env.JUDGE_BASE_URL}` : 'vLLM started at the first uncached row'}`);
    const started = Date.now();
    const totals = { chunks: chunks.length, reused: 0, rows: 0, paid: 0, cached: 0, identical: 0, failed: 0 };

    // the judging pass: every row once, the engine saturated; failures are left to the chunk steps (which retry them)
    const pass = await judgeRun({
      assets: runInputs(run, manifest), modelOutputs: { text: await run.require(RUN_FILES.modelOutputs), fileName: run.store.locate(RUN_FILES.modelOutputs) },
      preset, name: runModelName(config), maxInstances: judgeMaxInstances(config),
      client: await deps.judgeClient(preset, config), cache: deps.judgeCache,
      scheduler: { ...schedulerOf(config), concurrency },
      preflight: { baseUrl: env.JUDGE_BASE_URL ?? 'the judge vLLM' },
    });
    totals.paid = pass.summary.judged;
    totals.cached = pass.summary.cached; // judged before this job (an earlier attempt, another run)
    out(`aep-judge: judged ${pass.summary.judged} rows (${pass.summary.cached} cached, ${pass.summary.identical} identical, `
      + `${pass.summary.failed} failed) in ${(pass.summary.wallTimeMs / 1000).toFixed(1)} s`);
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < chunks.length && !stopping) {
        const chunk = chunks[next++]!;
        try {
          const s = await judgeChunkStep(deps, { runPrefix: prefix, chunk });
          if (s.reused) totals.reused++;
          totals.rows += s.rows;
          totals.paid += s.paid; // rows the pass could not judge, judged again by the step
          totals.identical += s.identical;
          totals.failed += s.failed;
          out(`aep-judge: chunk ${chunk.index} ${s.reused ? 'already complete' : `judged: ${s.paid} paid, ${s.cached} cached, ${s.identical} identical, ${s.failed} failed`}`);
        } catch (e) {
          failures.push(`chunk ${chunk.index}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, worker));
    await engine?.stop();
    const usage = engine ? await engine.usage() : undefined;
    const summary = {
      runId, judge: preset.name, model: preset.model, ...totals, failedChunks: failures.length, wallMs: Date.now() - started,
      judgingPassMs: pass.summary.wallTimeMs,
      engine: usage ? { started: usage.started, startupMs: usage.startupMs, upMs: usage.upMs, gpus: usage.gpus, gpuMinutes: (usage.upMs / 60_000) * usage.gpus } : { baseUrl: env.JUDGE_BASE_URL },
      finishedAt: new Date().toISOString(),
    };
    await run.putJson(ENGINE_JOB_FILE, summary);
    if (failures.length > 0) {
      for (const f of failures) err(`aep-judge: ${f}\n`);
      err(`aep-judge: ${failures.length} of ${chunks.length} chunks incomplete; rerun to judge only the missing rows\n`);
      return 1;
    }
    out(`aep-judge: ${chunks.length} chunks complete (${totals.paid} rows paid, ${totals.cached} cached, ${totals.identical} identical)`
      + (usage?.started ? `; vLLM up ${(usage.upMs / 1000).toFixed(1)} s on ${usage.gpus} GPU(s)` : ''));
    return 0;
  } catch (e) {
    err(`aep-judge: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await engine?.stop();
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  }
}
