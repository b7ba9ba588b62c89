/**
 * `aep start`, `aep status`, `aep fetch`: a deployed stack from the terminal. `start` sends the same run config
 * `aep run` would execute locally (StartExecution, named after the run id, so starting the same run twice is
 * refused by Step Functions); `status` and `fetch` read run folders from any store (s3:// or a directory).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { RUN_FILES, runPrefix } from '../../lambdas/core/run/layout.ts';
import { parseManifest } from '../../lambdas/core/run/manifest.ts';
import { RunConfigSchema, runIdFor } from '../../lambdas/core/run/run-config.ts';
import { action, nonNegativeNumber, positiveInt } from './common.ts';
import { runConfigFromFlags, type RunFlags } from './run.ts';

function sfnClient(env: NodeJS.ProcessEnv): SFNClient {
  const endpoint = env.AWS_ENDPOINT_URL_SFN || undefined;
  return new SFNClient({ region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1', ...(endpoint ? { endpoint } : {}) });
}

interface StartFlags extends RunFlags {
  stateMachineArn?: string;
  modelUri?: string;
}

async function start(f: StartFlags): Promise<void> {
  const arn = f.stateMachineArn ?? process.env.AEP_STATE_MACHINE_ARN;
  if (!arn) throw new UsageError('the state machine is unknown: pass --state-machine-arn ARN (the stack output StateMachineArn) or set AEP_STATE_MACHINE_ARN');
  const config = RunConfigSchema.parse({ ...(await runConfigFromFlags(f)), ...(f.modelUri ? { modelUri: f.modelUri } : {}) });
  const runId = runIdFor(config);
  try {
    const res = await sfnClient(process.env).send(new StartExecutionCommand({ stateMachineArn: arn, name: runId, input: JSON.stringify({ runId, config }) }));
    process.stdout.write(f.json ? `${JSON.stringify({ runId, executionArn: res.executionArn })}\n` : `started run ${runId}\n  execution ${res.executionArn}\n`);
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists) throw new UsageError(`run ${runId} was already started (an execution of that name exists); see aep status ${runId}`);
    throw err;
  }
}

function storeOf(flag: string | undefined) {
  const url = flag ?? process.env.AEP_STORE;
  if (!url) throw new UsageError('where are the runs? pass --store s3://bucket or a directory (or set AEP_STORE)');
  return openBlobStore(url.startsWith('s3://') ? url : resolve(url), { env: process.env });
}

async function status(runId: string, f: { store?: string; json?: boolean }): Promise<void> {
  const store = storeOf(f.store);
  const key = `${runPrefix(runId)}${RUN_FILES.manifest}`;
  const body = await store.get(key);
  if (!body) throw new UsageError(`no run ${runId} in ${store.url} (no ${key})`);
  const m = parseManifest(body.toString('utf8'), store.locate(key));
  if (f.json) {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const lines = [`run ${m.runId}: ${m.status} (attempt ${m.attempts}, updated ${m.updatedAt})`];
  for (const [name, s] of Object.entries(m.stages)) lines.push(`  ${name.padEnd(10)} ${s?.status ?? ''}${s?.seconds !== undefined ? ` ${s.seconds.toFixed(1)} s` : ''}`);
  if (m.failure) lines.push(`  failed in ${m.failure.stage}: ${m.failure.error}: ${m.failure.cause}`);
  if (m.results) lines.push(`  LC win rate ${Number(m.results.length_controlled_winrate).toFixed(2)}, win rate ${Number(m.results.win_rate).toFixed(2)}`);
  lines.push(`  judge cost $${m.costUsd.judge.toFixed(2)} (${m.tokens.judgePrompt} prompt tokens)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function fetchRun(runId: string, f: { store?: string; out: string }): Promise<void> {
  const store = storeOf(f.store);
  const prefix = runPrefix(runId);
  const keys = (await store.list(prefix)).filter((k) => !k.includes('/generation-checkpoint/'));
  if (keys.length === 0) throw new UsageError(`no run ${runId} in ${store.url}`);
  const dest = resolve(f.out, runId);
  for (const key of keys) {
    const body = await store.get(key);
    if (!body) continue;
    const path = join(dest, key.slice(prefix.length));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
  process.stdout.write(`fetched ${keys.length} files of run ${runId} to ${dest}\n`);
}

export function startCommand(): Command {
  return new Command('start')
    .description('start a run on the deployed stack (Step Functions), with the same options as aep run')
    .requiredOption('--model <id>', 'Hugging Face id of the model (or a name, with --model-uri)')
    .option('--model-uri <uri>', 'where the weights are: hf://<repo> or s3://bucket/checkpoints/<name>/…')
    .option('--model-outputs <s3url>', 'existing model_outputs.json in S3: skip generation')
    .option('--revision <rev>', 'model revision (Hugging Face commit)')
    .option('--name <name>', 'leaderboard and generator name')
    .option('--max-instances <n>', 'evaluate only the official max_instances subset', positiveInt)
    .option('--judge <preset>', 'judge preset')
    .option('--judge-model <name>', 'judge model name')
    .option('--batch-api', 'judge through the OpenAI Batch API')
    .option('--max-new-tokens <n>', 'generation length cap', positiveInt)
    .option('--budget <usd>', 'refuse to start when judging could cost more than this', nonNegativeNumber)
    .option('--state-machine-arn <arn>', 'the stack\'s StateMachineArn output (or AEP_STATE_MACHINE_ARN)')
    .option('--json', 'print {runId, executionArn}')
    .action(action('start', (f: StartFlags) => start({ ...f, out: '' })));
}

export function statusCommand(): Command {
  return new Command('status')
    .description('show the status, stage timings, failure and results of a run (from its manifest)')
    .argument('<run-id>')
    .option('--store <url>', 'results store: s3://bucket or a directory (or AEP_STORE)')
    .option('--json', 'print the manifest')
    .action(action('status', status));
}

export function fetchCommand(): Command {
  return new Command('fetch')
    .description('download a run folder (report, metrics, annotations, …) to a directory')
    .argument('<run-id>')
    .option('--store <url>', 'results store: s3://bucket or a directory (or AEP_STORE)')
    .option('--out <dir>', 'destination (the run lands in <dir>/<run-id>/)', '.')
    .action(action('fetch', fetchRun));
}
