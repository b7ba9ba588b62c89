/**
 * `aep generate`: the 805 eval instructions → DIR/model_outputs.json (+ generation.json), through an
 * OpenAI-compatible engine given by URL, or a `vllm serve` this command starts (`--engine vllm`).
 *
 * Environment (the flags are the public contract; these tune the rest): AEP_GENERATOR_API_KEY (bearer token for
 * the engine), AEP_MODEL_REVISION (recorded; passed to vllm), AEP_VLLM_DTYPE, AEP_VLLM_MAX_MODEL_LEN,
 * AEP_VLLM_GPU_MEMORY_UTILIZATION, AEP_VLLM_STARTUP_TIMEOUT_S, AEP_EVAL_SET, AEP_CACHE_DIR.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError, UsageError } from '../../lambdas/core/errors.ts';
import { resolveDecoding } from '../../lambdas/core/generation/decoding.ts';
import { formatProgress, type ProgressSnapshot } from '../../lambdas/core/generation/progress.ts';
import type { PromptModeRequest } from '../../lambdas/core/generation/prompt-mode.ts';
import { DEFAULT_CONCURRENCY, type GenerateOptions } from '../../lambdas/services/generate.ts';
import { action, assetResolver, nonNegativeNumber, positiveInt } from './common.ts';

/** The flags of {@link addGenerationOptions}. */
export interface GenerationFlags {
  promptTemplate?: string;
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  concurrency?: number;
}

interface GenerateFlags extends GenerationFlags {
  model: string;
  generatorBaseUrl?: string;
  engine?: 'vllm';
  evalSet?: string;
  maxInstances?: number;
  name?: string;
  out: string;
}

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a number in (0, 1]');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got "${v}"`);
  return n;
}

async function promptMode(file: string | undefined): Promise<PromptModeRequest> {
  if (!file) return { kind: 'auto' };
  try {
    return { kind: 'template', template: await readFile(file, 'utf8'), source: file };
  } catch (err) {
    throw new InputError({ file }, `cannot read the prompt template (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

/** Progress on stderr: one line rewritten in place on a terminal, a line every 15 s otherwise. */
function progressWriter(): { onProgress: GenerateOptions['onProgress']; progressIntervalMs: number } {
  const tty = process.stderr.isTTY === true;
  return {
    progressIntervalMs: tty ? 1000 : 15_000,
    onProgress: (s: ProgressSnapshot, final: boolean) => {
      process.stderr.write(tty ? `\r\x1b[K${formatProgress(s, { bar: true })}${final ? '\n' : ''}` : `${formatProgress(s)}\n`);
    },
  };
}

/** First SIGINT/SIGTERM cancels (finished rows stay saved); a second one exits at once. */
function cancelOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    process.stderr.write(`\naep generate: ${sig}: stopping (finished rows are kept; rerun to resume)\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

async function run(flags: GenerateFlags): Promise<void> {
  // the S3 and OpenAI clients load only when generation starts, not for `aep generate --help`
  const [{ openBlobStore }, { OpenAIEngine }, { withVllm }, { generateModelOutputs }] = await Promise.all([
    import('../../lambdas/adapters/blob-store.ts'), import('../../lambdas/adapters/openai-engine.ts'),
    import('../../lambdas/adapters/vllm-process.ts'), import('../../lambdas/services/generate.ts'),
  ]);
  const env = process.env;
  if (!flags.generatorBaseUrl === !flags.engine) {
    throw new UsageError('give exactly one of --generator-base-url URL (a running engine) or --engine vllm (start one)');
  }
  const { asset, text } = await assetResolver({ 'eval-set': flags.evalSet }).text('eval-set');
  const store = openBlobStore(flags.out, { env });
  if (!flags.out.startsWith('s3://')) await mkdir(flags.out, { recursive: true });
  const revision = env.AEP_MODEL_REVISION || null;
  const base = {
    store, model: flags.model, revision, generator: flags.name ?? flags.model,
    evalSet: { text, source: asset.source, sha256: asset.sha256 },
    promptMode: await promptMode(flags.promptTemplate),
    decoding: resolveDecoding({ maxNewTokens: flags.maxNewTokens, temperature: flags.temperature, topP: flags.topP, seed: flags.seed }),
    concurrency: flags.concurrency ?? DEFAULT_CONCURRENCY, maxInstances: flags.maxInstances, ...progressWriter(),
  };
  const apiKey = env.AEP_GENERATOR_API_KEY;
  const cancel = cancelOnSignals();
  try {
    let result;
    if (flags.generatorBaseUrl) {
      const engine = new OpenAIEngine({ baseUrl: flags.generatorBaseUrl, apiKey });
      result = await generateModelOutputs({ ...base, engine, engineInfo: { kind: 'openai-compatible', baseUrl: engine.baseUrl }, signal: cancel.signal });
    } else {
      const log = flags.out.startsWith('s3://') ? undefined : createWriteStream(join(flags.out, 'vllm.log'), { flags: 'a' });
      const dtype = env.AEP_VLLM_DTYPE as 'auto' | 'bfloat16' | 'float16' | undefined;
      const startupS = envNumber(env, 'AEP_VLLM_STARTUP_TIMEOUT_S');
      try {
        result = await withVllm({
          model: flags.model, servedModelName: flags.model, revision, seed: base.decoding.seed, dtype,
          maxModelLen: envNumber(env, 'AEP_VLLM_MAX_MODEL_LEN'), gpuMemoryUtilization: envNumber(env, 'AEP_VLLM_GPU_MEMORY_UTILIZATION'),
          startupTimeoutMs: startupS === undefined ? undefined : startupS * 1000, env,
          onOutput: (t) => (env.AEP_DEBUG === '1' ? process.stderr.write(t) : log?.write(t)),
        }, (proc, signal) => generateModelOutputs({
          ...base, engine: new OpenAIEngine({ baseUrl: proc.baseUrl, apiKey }), signal,
          engineInfo: { kind: 'vllm', baseUrl: proc.baseUrl, command: proc.command, startupMs: proc.startupMs },
        }), { signal: cancel.signal });
      } finally {
        log?.end();
      }
    }
    const s = result.manifest.stats;
    process.stdout.write(`${result.modelOutputsUrl}: ${result.rows.length} rows, ${s.tokensGenerated} tokens, ` +
      `${s.rowsAtTokenLimit} at the token limit, prompt mode ${result.manifest.promptMode.used}\n`);
  } finally {
    cancel.dispose();
  }
}

/** The generation options `aep generate` and `aep run` share. */
export function addGenerationOptions(cmd: Command): Command {
  return cmd
    .option('--prompt-template <file>', 'template with {instruction}, sent to /v1/completions (default: chat; Llama-3 format if the model has no chat template)')
    .option('--max-new-tokens <n>', 'maximum tokens per output (default 512)', positiveInt)
    .option('--temperature <t>', 'sampling temperature, 0 = greedy (default 0.7)', nonNegativeNumber)
    .option('--top-p <p>', 'nucleus sampling mass (default 0.9)', probability)
    .option('--seed <s>', 'per-request sampling seed, for reproducibility', nonNegativeInt)
    .option('--concurrency <n>', `generation requests in flight (default ${DEFAULT_CONCURRENCY})`, positiveInt);
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .description('generate the model outputs of the AlpacaEval eval set (DIR/model_outputs.json) with an OpenAI-compatible engine')
    .requiredOption('--model <name>', 'the model the engine serves (with --engine vllm: a Hugging Face id or a local directory)')
    .option('--generator-base-url <url>', 'base URL of a running OpenAI-compatible engine, with /v1 (e.g. http://localhost:8000/v1)')
    .addOption(new Option('--engine <engine>', 'start the engine: vllm serve on a free loopback port').choices(['vllm']));
  return addGenerationOptions(cmd)
    .option('--eval-set <path|url>', 'the eval set in model_outputs.json format (default: the pinned 805-row AlpacaEval set)')
    .option('--max-instances <n>', 'only the first n rows of the official max_instances subset', positiveInt)
    .option('--name <generator>', 'the generator field of the outputs (default: --model)')
    .requiredOption('--out <dir>', 'output directory (or s3://bucket/prefix): model_outputs.json, generation.json, checkpoint')
    .action(action('generate', async (flags: GenerateFlags) => run(flags)));
}
