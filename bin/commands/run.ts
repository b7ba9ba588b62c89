/**
 * `aep run`: the whole evaluation on this machine — the stack's own state machine, executed locally, with storage
 * in a directory (or any S3 endpoint), generation on an OpenAI-compatible engine (or a vLLM this command starts, or
 * given outputs), and the judge on any OpenAI-compatible API. Stops before spending anything when the judge key or
 * the engine is missing.
 */
import { acquireRunLock, processAlive } from '../../lambdas/adapters/run-lock.ts';
import { localExecutionId, localExecutionState } from '../../lambdas/services/workflow/run-lease.ts';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { defaultCacheDir } from '../../lambdas/adapters/assets.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { RUN_FILES, runPrefix } from '../../lambdas/core/run/layout.ts';
import { RunConfigSchema, runIdFor, type RunConfigInput } from '../../lambdas/core/run/run-config.ts';
import { checkJudgeEngineFlags, engineUseLine, judgeEngineOption, judgeTensorParallelOption } from './judge-engine-flags.ts';
import { action, nonNegativeNumber, positiveInt, version } from './common.ts';
import { addGenerationOptions, type GenerationFlags } from './generate.ts';
import { generatorOutput, runSummary, stderrLogger, stateProgress } from './run-output.ts';

export interface RunFlags extends GenerationFlags {
  model: string;
  generatorBaseUrl?: string;
  engine?: 'vllm';
  modelOutputs?: string;
  out: string;
  revision?: string;
  name?: string;
  maxInstances?: number;
  judge?: string;
  judgeModel?: string;
  judgeBaseUrl?: string;
  /** Start this engine for an open-weights judge preset (#14). */
  judgeEngine?: 'vllm';
  judgeTensorParallel?: number;
  judgeTemplate?: string;
  judgeConcurrency?: number;
  rpm?: number;
  tpm?: number;
  batchApi?: boolean;
  chunkSize?: number;
  cacheDir?: string;
  evalSet?: string;
  gamed?: string;
  instructionDifficulty?: string;
  leaderboard?: string;
  calibration?: string;
  json?: boolean;
  budget?: number;
}

const abs = (p: string | undefined) => (p === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : resolve(p));

/** The run config of a set of flags (shared with `aep start`). */
export async function runConfigFromFlags(f: RunFlags): Promise<RunConfigInput> {
  let revision = f.revision;
  if (f.modelOutputs && !revision && !f.modelOutputs.startsWith('s3://')) {
    // given outputs: the revision is their content, so the same file always lands in the same run folder
    revision = createHash('sha256').update(await readFile(f.modelOutputs)).digest('hex').slice(0, 12);
  }
  return {
    model: f.model, revision, name: f.name, modelOutputs: abs(f.modelOutputs), maxInstances: f.maxInstances, budgetUsd: f.budget,
    calibration: f.calibration === 'shipped' || f.calibration === 'none' ? f.calibration : abs(f.calibration),
    generation: {
      maxNewTokens: f.maxNewTokens, temperature: f.temperature, topP: f.topP, seed: f.seed, concurrency: f.concurrency,
      promptTemplate: f.promptTemplate ? await readFile(f.promptTemplate, 'utf8') : undefined,
    },
    judge: {
      preset: f.judge, model: f.judgeModel, baseUrl: f.judgeBaseUrl, mode: f.batchApi ? 'batch-api' : undefined,
      concurrency: f.judgeConcurrency, rpm: f.rpm, tpm: f.tpm, chunkSize: f.chunkSize,
    },
    assets: {
      evalSet: abs(f.evalSet), judgeTemplate: abs(f.judgeTemplate), gamed: abs(f.gamed),
      instructionDifficulty: abs(f.instructionDifficulty), leaderboard: abs(f.leaderboard),
    },
  };
}

/** Refuses to start a run that would fail after spending money or GPU time. */
async function preflight(f: RunFlags, env: NodeJS.ProcessEnv): Promise<void> {
  const sources = [f.generatorBaseUrl, f.engine, f.modelOutputs].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of --generator-base-url URL (a running engine), --engine vllm (start one) or --model-outputs FILE');
  if (f.judgeEngine) await judgeEnginePreflight(f, env);
  else if (!env.OPENAI_API_KEY) throw new UsageError('OPENAI_API_KEY is not set: export the judge API key (a local OpenAI-compatible judge given by --judge-base-url accepts any value); nothing was started');
  if (f.engine === 'vllm' && spawnSync('sh', ['-c', 'command -v vllm'], { env }).status !== 0) {
    throw new UsageError('--engine vllm needs the vllm command on PATH (pip install vllm, on a GPU machine); or pass --generator-base-url URL of a running engine; nothing was started');
  }
  if (f.generatorBaseUrl) {
    const url = `${f.generatorBaseUrl.replace(/\/$/, '')}/models`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: env.AEP_GENERATOR_API_KEY ? { authorization: `Bearer ${env.AEP_GENERATOR_API_KEY}` } : {} });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      throw new UsageError(`the engine at ${f.generatorBaseUrl} does not answer (${url}: ${(err as Error).message}); start it, or pass --engine vllm or --model-outputs FILE; nothing was started`);
    }
  }
}

/** `--judge-engine vllm`: an open-weights preset, no other judge endpoint, and a vllm to start. */
async function judgeEnginePreflight(f: RunFlags, env: NodeJS.ProcessEnv): Promise<void> {
  const { resolveJudge } = await import('../../lambdas/core/judge/presets.ts');
  const preset = resolveJudge({ ...(f.judge ? { judge: f.judge } : {}), ...(f.judgeModel ? { judgeModel: f.judgeModel } : {}) });
  await checkJudgeEngineFlags({ judgeBaseUrl: f.judgeBaseUrl, batchApi: f.batchApi, preset, env, nothing: '; nothing was started' });
}

async function run(f: RunFlags): Promise<void> {
  // the store, generator and workflow (with the CDK code it runs) load only when a run starts, not for `aep run --help`
  const [{ openBlobStore }, { runGenerator }, { localDeps }, { runLocal }] = await Promise.all([
    import('../../lambdas/adapters/blob-store.ts'), import('../../containers/generator/run.ts'),
    import('../../infra/local/local-deps.ts'), import('../../infra/local/run-local.ts'),
  ]);
  const env = process.env;
  await preflight(f, env);
  // a judge engine of our own is there to be saturated: more judge requests in flight per chunk unless told
  const config = RunConfigSchema.parse(await runConfigFromFlags(f.judgeEngine && f.judgeConcurrency === undefined
    ? { ...f, judgeConcurrency: (await import('../../lambdas/adapters/vllm-judge-engine.ts')).ENGINE_JUDGE_CONCURRENCY } : f));
  const runId = runIdFor(config);
  const out = f.out.startsWith('s3://') ? f.out : resolve(f.out);
  if (!out.startsWith('s3://')) await mkdir(out, { recursive: true });
  const store = openBlobStore(out, { env });
  const log = stderrLogger(env);
  const deps = localDeps({ store, cacheDir: f.cacheDir ?? defaultCacheDir(env), env, log, version: version() });
  const judgeEngine = f.judgeEngine ? await localJudgeEngine(f, config, deps, env) : undefined;
  process.stderr.write(`aep run: run ${runId} in ${store.locate(runPrefix(runId))}\n`);
  // one process at a time on a run: the run folder itself on disk; for an S3 store, a lock beside this machine's cache
  // (two machines on one S3 run folder are kept apart by the run's lease, taken by Prepare)
  const lockDir = out.startsWith('s3://')
    ? join(f.cacheDir ?? defaultCacheDir(env), 'locks', createHash('sha256').update(`${out}|${runId}`).digest('hex').slice(0, 16))
    : join(out, runPrefix(runId));
  const lock = await acquireRunLock(lockDir, `aep run ${runId}`);
  const result = await runLocal({
    input: { config, runId },
    // two machines (or processes) on one S3 run folder hold its lease under different ids; a dead one on this host is taken over
    executionId: localExecutionId(hostname(), process.pid, runId),
    deps: { ...deps, executionState: async (execution) => localExecutionState(execution, hostname(), processAlive) },
    generate: async (job) => {
      let last = '';
      const show = generatorOutput(process.stderr);
      const tty = process.stderr.isTTY === true;
      const code = await runGenerator({
        env: { ...env, ...job.environment, AEP_CACHE_DIR: f.cacheDir ?? defaultCacheDir(env), ...(tty ? { PROGRESS_INTERVAL_S: '1' } : {}) },
        out: (line) => show(`${line}\n`),
        err: (text) => {
          last = text.trim().split('\n').at(-1) ?? last;
          show(text);
        },
        ...(f.generatorBaseUrl ? { engine: { baseUrl: f.generatorBaseUrl, apiKey: env.AEP_GENERATOR_API_KEY } } : {}),
      });
      if (code !== 0) throw Object.assign(new Error(last.replace(/^aep-generator: /, '') || `generation exited with code ${code}`), { name: 'GenerationFailed' });
    },
    onState: stateProgress(process.stderr),
  }).finally(async () => {
    await judgeEngine?.stop();
    await lock.release();
  });
  if (judgeEngine) process.stderr.write(await judgeEngineLine(judgeEngine, (key, value) => store.put(`${runPrefix(runId)}${key}`, `${JSON.stringify(value, null, 2)}\n`)));
  const manifestPath = store.locate(`${runPrefix(runId)}${RUN_FILES.manifest}`);
  if (result.status === 'FAILED') {
    throw new Error(`run ${runId} failed: ${result.error}: ${result.cause} (manifest: ${manifestPath})`);
  }
  const metrics = JSON.parse((await store.get(`${runPrefix(runId)}${RUN_FILES.metrics}`))!.toString('utf8')) as Record<string, unknown>;
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ runId, runUrl: store.locate(runPrefix(runId)), ...metrics })}\n`);
    return;
  }
  process.stdout.write(await runSummary(store, runId, metrics));
}

type Deps = ReturnType<typeof import('../../infra/local/local-deps.ts')['localDeps']>;
type Engine = import('../../lambdas/adapters/vllm-judge-engine.ts').LazyJudgeEngine;

/** The judge vLLM of `--judge-engine vllm`: judge clients of the run point at it (started at the first one). */
async function localJudgeEngine(f: RunFlags, config: import('../../lambdas/core/run/run-config.ts').RunConfig, deps: Deps, env: NodeJS.ProcessEnv): Promise<Engine> {
  const [{ LazyJudgeEngine }, { presetOf }] = await Promise.all([
    import('../../lambdas/adapters/vllm-judge-engine.ts'), import('../../lambdas/services/workflow/judge-step.ts'),
  ]);
  const engine = new LazyJudgeEngine(presetOf(config), {
    env, ...(f.judgeTensorParallel ? { tensorParallel: f.judgeTensorParallel } : {}),
    onOutput: env.AEP_LOG_LEVEL === 'debug' ? (t) => process.stderr.write(t) : undefined,
  });
  process.stderr.write(`aep run: judge ${engine.preset.name} on a vLLM started at the first uncached judgement\n`);
  deps.judgeClient = async (preset) => engine.client(preset, env.AEP_JUDGE_API_KEY || 'EMPTY');
  // Aggregate comes after the last judgement: it stops the engine and records its GPU time in the manifest and report
  deps.judgeEngineUse = async () => {
    await engine.stop();
    const u = await engine.usage();
    return u.started ? { started: true, gpus: u.gpus, gpuMinutes: (u.upMs / 60_000) * u.gpus, upMs: u.upMs, startupMs: u.startupMs } : undefined;
  };
  return engine;
}

/** The engine's use, recorded in the run folder (`judge/engine-local.json`) and as one line for stderr. */
async function judgeEngineLine(engine: Engine, put: (key: string, value: unknown) => Promise<void>): Promise<string> {
  const u = await engine.usage();
  if (u.started && !u.failed) {
    await put('judge/engine-local.json', {
      judge: engine.preset.name, model: engine.preset.model, startupMs: u.startupMs, upMs: u.upMs, gpus: u.gpus, gpuMinutes: (u.upMs / 60_000) * u.gpus, command: u.command,
    });
  }
  return `aep run: ${engineUseLine(u)}${u.failed ? ' (see the error)' : ''}\n`;
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('run the whole evaluation locally (the stack\'s state machine on this machine): generate, judge, aggregate, report')
    .requiredOption('--model <name>', 'the model: the name the engine serves, or a Hugging Face id for --engine vllm')
    .option('--generator-base-url <url>', 'a running OpenAI-compatible engine serving the model, including /v1')
    .addOption(new Option('--engine <engine>', 'start this engine for the model').choices(['vllm']))
    .option('--model-outputs <file>', 'existing model_outputs.json: skip generation')
    .option('--out <dir>', 'results store: a directory or s3://bucket/prefix (runs go to runs/<run-id>/)', 'aep-results')
    .option('--revision <rev>', 'model revision (recorded; part of the run id)')
    .option('--name <name>', 'leaderboard and generator name (default: the model\'s last path segment)')
    .option('--max-instances <n>', 'evaluate only the official max_instances subset', positiveInt);
  return addGenerationOptions(cmd)
    .option('--judge <preset>', 'judge preset (default weighted_alpaca_eval_gpt4_turbo)')
    .option('--judge-model <name>', 'judge model name')
    .option('--judge-base-url <url>', 'OpenAI-compatible judge base URL including /v1')
    .addOption(judgeEngineOption('the run'))
    .addOption(judgeTensorParallelOption())
    .option('--judge-template <path|url>', 'judge prompt template (default: the pinned official one)')
    .option('--judge-concurrency <n>', 'judge requests in flight per chunk', positiveInt)
    .option('--rpm <n>', 'judge requests-per-minute limit of the account, shared by the chunks (and runs) judging at once', positiveInt)
    .option('--tpm <n>', 'judge tokens-per-minute limit of the account, shared by the chunks (and runs) judging at once', positiveInt)
    .option('--batch-api', 'judge through the OpenAI Batch API (half price, slow)')
    .option('--chunk-size <n>', 'rows per judge chunk (default 50)', positiveInt)
    .option('--cache-dir <dir>', 'assets and judge cache (default: $AEP_CACHE_DIR or ~/.cache/alpaca-eval-pipeline)')
    .option('--eval-set <path|url>', 'eval set override')
    .option('--gamed <path|url>', 'df_gamed.csv override (LC GLM)')
    .option('--instruction-difficulty <path|url>', 'instruction_difficulty.csv override')
    .option('--leaderboard <path|url>', 'leaderboard CSV override')
    .option('--budget <usd>', 'refuse to start when judging could cost more than this (checked before anything is spent)', nonNegativeNumber)
    .option('--calibration <file|shipped|none>', 'calibration.json of the judge (aep calibrate): metrics, leaderboard and report add the official-scale estimate with its interval (default: shipped for gpt5_nano, else none)')
    .option('--json', 'print the metrics as one JSON object on stdout')
    .action(action('run', run));
}
