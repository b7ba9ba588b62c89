/**
 * `aep judge`: judge model outputs with the official AlpacaEval 2.0 judge and write `DIR/annotations.json` (rows in
 * reference order) and `DIR/judge_summary.json`. Exit 0 when every row has a result (a parser NaN is one); exit 1
 * naming the rows otherwise — they are retried, and only they, by running the same command again.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command, InvalidArgumentError } from 'commander';
import { atomicWrite, defaultCacheDir } from '../../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { OpenAIBatchClient } from '../../lambdas/adapters/openai-batch.ts';
import { acquireRunLock } from '../../lambdas/adapters/run-lock.ts';
import { OPENAI_BASE_URL, OpenAIJudgeClient } from '../../lambdas/adapters/openai-judge-client.ts';
import { BlobJudgeCache, judgeCacheDir } from '../../lambdas/adapters/judge-cache.ts';
import { InputError, UsageError } from '../../lambdas/core/errors.ts';
import { resolveJudge, type JudgePreset } from '../../lambdas/core/judge/presets.ts';
import { JudgeRowsFailedError } from '../../lambdas/services/judge/errors.ts';
import { judgeRun } from '../../lambdas/services/judge/judge-run.ts';
import { formatJudgeProgress, formatJudgeSummary, type JudgeTally } from '../../lambdas/services/judge/progress.ts';
import { DEFAULT_SCHEDULER_SETTINGS } from '../../lambdas/services/judge/scheduler.ts';
import { createPromptTokenCounter } from '../../lambdas/services/judge/token-count.ts';
import type { JudgeClient } from '../../lambdas/services/judge/types.ts';
import { checkJudgeEngineFlags, engineUseLine, judgeEngineOption, judgeTensorParallelOption } from './judge-engine-flags.ts';
import { action, assetResolver, positiveInt } from './common.ts';

/** The options `aep judge` and `aep estimate` share. */
export interface JudgeInputOptions {
  modelOutputs: string;
  evalSet?: string;
  judgeTemplate?: string;
  judge?: string;
  judgeModel?: string;
  judgeBaseUrl?: string;
  concurrency: number;
  rpm?: number;
  tpm?: number;
  batchApi?: boolean;
  maxInstances?: number;
  name?: string;
  cacheDir?: string;
}

interface JudgeOptions extends JudgeInputOptions {
  out: string;
  /** Start this engine for an open-weights judge preset. */
  judgeEngine?: 'vllm';
  judgeTensorParallel?: number;
  requestTimeout: number;
  maxAttempts: number;
  batchPollInterval: number;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** Adds the judge inputs (everything but `--out`) to a command. */
export function addJudgeInputOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--model-outputs <file>', 'model_outputs.json ([{instruction, output, generator}, …]; .gz accepted)')
    .option('--eval-set <path|url>', 'eval set with reference outputs (default: the pinned official 805 rows)')
    .option('--judge-template <path|url>', 'judge prompt template (default: the pinned official alpaca_eval_clf.txt)')
    .option('--judge <preset>', 'judge preset (default weighted_alpaca_eval_gpt4_turbo, the leaderboard judge)')
    .option('--judge-model <name>', 'judge model name (a preset\'s model selects that preset)')
    .option('--judge-base-url <url>', 'OpenAI-compatible base URL including /v1 (default https://api.openai.com/v1)')
    .option('--concurrency <n>', 'most requests in flight', positiveInt, DEFAULT_SCHEDULER_SETTINGS.concurrency)
    .option('--rpm <n>', 'client-side requests-per-minute budget', positiveInt)
    .option('--tpm <n>', 'client-side tokens-per-minute budget (prompt tokens counted with the tokenizer)', positiveInt)
    .option('--batch-api', 'use the OpenAI Batch API (half price, up to 24 h)')
    .option('--max-instances <n>', 'judge only the official max_instances subset', positiveInt)
    .option('--name <name>', 'model name written as generator_2 (default: the file\'s generator)')
    .option('--cache-dir <dir>', 'cache root: judgements in DIR/judge, assets in DIR/assets (default: the user cache dir)');
}

export function resolvePreset(opts: Pick<JudgeInputOptions, 'judge' | 'judgeModel'>): JudgePreset {
  return resolveJudge({
    ...(opts.judge !== undefined ? { judge: opts.judge } : {}),
    ...(opts.judgeModel !== undefined ? { judgeModel: opts.judgeModel } : {}),
  });
}

/** Reads model_outputs.json (gunzipped when the name ends in .gz). */
export async function readModelOutputs(file: string): Promise<{ text: string; fileName: string }> {
  try {
    const bytes = await readFile(file);
    return { text: (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'), fileName: file };
  } catch (err) {
    throw new InputError({ file }, `cannot read the model outputs (${(err as Error).message})`, { cause: err });
  }
}

/** Progress on stderr: one line rewritten in place on a terminal, a line every 10 s otherwise. */
function progressPrinter(stream: NodeJS.WriteStream): { update(t: Readonly<JudgeTally>): void; end(): void } {
  const tty = stream.isTTY === true;
  const every = tty ? 250 : 10_000;
  let last = 0;
  let shown = false;
  return {
    update(t) {
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      shown = true;
      stream.write(tty ? `\r\x1b[K${formatJudgeProgress(t, { bar: true })}` : `${formatJudgeProgress(t)}\n`);
    },
    end() {
      if (tty && shown) stream.write('\r\x1b[K');
    },
  };
}

async function runJudge(opts: JudgeOptions): Promise<void> {
  // one process at a time on an output folder: a second one would pay for the same rows
  const lock = await acquireRunLock(resolve(opts.out), 'aep judge');
  try {
    await judgeLocked(opts);
  } finally {
    await lock.release();
  }
}

async function judgeLocked(opts: JudgeOptions): Promise<void> {
  const preset = resolvePreset(opts);
  if (opts.judgeEngine) return judgeOnEngine(opts, preset);
  const apiKey = process.env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new UsageError('OPENAI_API_KEY is not set; export the judge API key (a local OpenAI-compatible judge accepts any value)');
  }
  return judgeWith(opts, preset, { apiKey });
}

/** `--judge-engine vllm`: the preset's open weights on a vLLM started at the first uncached row, stopped at the end. */
async function judgeOnEngine(opts: JudgeOptions, preset: JudgePreset): Promise<void> {
  const { LazyJudgeEngine, ENGINE_JUDGE_CONCURRENCY } = await import('../../lambdas/adapters/vllm-judge-engine.ts');
  await checkJudgeEngineFlags({ judgeBaseUrl: opts.judgeBaseUrl, batchApi: opts.batchApi, preset, env: process.env, nothing: '' });
  const engine = new LazyJudgeEngine(preset, { env: process.env, ...(opts.judgeTensorParallel ? { tensorParallel: opts.judgeTensorParallel } : {}) });
  const concurrency = opts.concurrency === DEFAULT_SCHEDULER_SETTINGS.concurrency ? ENGINE_JUDGE_CONCURRENCY : opts.concurrency;
  try {
    await judgeWith({ ...opts, concurrency }, preset, { client: engine.client(preset, process.env.AEP_JUDGE_API_KEY || 'EMPTY'), baseUrl: 'the judge vLLM' });
  } finally {
    await engine.stop();
    process.stderr.write(`  ${engineUseLine(await engine.usage())}\n`);
  }
}

async function judgeWith(opts: JudgeOptions, preset: JudgePreset, via: { apiKey: string } | { client: JudgeClient; baseUrl: string }): Promise<void> {
  const apiKey = 'apiKey' in via ? via.apiKey : 'EMPTY';
  const cacheRoot = opts.cacheDir ?? defaultCacheDir(process.env);
  const modelOutputs = await readModelOutputs(opts.modelOutputs);
  const assets = assetResolver({ 'eval-set': opts.evalSet, 'judge-template': opts.judgeTemplate }, cacheRoot);
  const cacheDir = judgeCacheDir(cacheRoot);
  const connection = { model: preset.model, apiKey, baseUrl: opts.judgeBaseUrl, request: preset.request };
  const counter = opts.tpm !== undefined ? await createPromptTokenCounter(preset.model) : undefined;
  const progress = progressPrinter(process.stderr);
  const pollMs = opts.batchPollInterval * 1000;
  const { rows, summary } = await judgeRun({
    assets,
    modelOutputs,
    preset,
    name: opts.name,
    maxInstances: opts.maxInstances,
    client: 'client' in via ? via.client : new OpenAIJudgeClient(connection),
    cache: BlobJudgeCache.inDirectory(cacheDir),
    scheduler: {
      ...DEFAULT_SCHEDULER_SETTINGS,
      concurrency: opts.concurrency,
      rpm: opts.rpm,
      tpm: opts.tpm,
      attemptTimeoutMs: opts.requestTimeout * 1000,
      maxAttempts: opts.maxAttempts,
    },
    batch: opts.batchApi
      ? { client: new OpenAIBatchClient(connection), state: new FileBlobStore(cacheDir), pollIntervalMs: pollMs, maxPollIntervalMs: Math.max(pollMs, 60_000) }
      : undefined,
    ...(counter ? { countTokens: (m) => counter.count(m) } : {}),
    onProgress: (t) => progress.update(t),
    preflight: { baseUrl: 'baseUrl' in via ? via.baseUrl : opts.judgeBaseUrl ?? OPENAI_BASE_URL },
  });
  progress.end();
  await mkdir(opts.out, { recursive: true });
  const annotationsPath = join(opts.out, 'annotations.json');
  await atomicWrite(annotationsPath, `${JSON.stringify(rows, null, 2)}\n`);
  await atomicWrite(join(opts.out, 'judge_summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(`${formatJudgeSummary(summary)}\n  wrote ${annotationsPath}\n`);
  if (summary.failedRows.length > 0) throw new JudgeRowsFailedError(summary.failedRows, { annotationsPath });
}

export function judgeCommand(): Command {
  const cmd = new Command('judge').description(
    'judge model outputs against the reference with the AlpacaEval 2.0 judge; writes DIR/annotations.json',
  );
  return addJudgeInputOptions(cmd)
    .requiredOption('--out <dir>', 'output directory (annotations.json, judge_summary.json)')
    .option('--request-timeout <seconds>', 'per-attempt timeout', positiveSeconds, DEFAULT_SCHEDULER_SETTINGS.attemptTimeoutMs / 1000)
    .option('--max-attempts <n>', 'attempts per row before it is recorded as failed', positiveInt, DEFAULT_SCHEDULER_SETTINGS.maxAttempts)
    .addOption(judgeEngineOption('the rows'))
    .addOption(judgeTensorParallelOption())
    .option('--batch-poll-interval <seconds>', 'first wait between Batch API status polls (grows to 60 s)', positiveSeconds, 30)
    .action(action('judge', (opts: JudgeOptions) => runJudge(opts)));
}
