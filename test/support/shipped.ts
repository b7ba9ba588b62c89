/**
 * What is shipped, for tests: the real stack synthesised in-process WITH bundling (so the Lambda bundles are built
 * by `EvalFunction` with the options of `infra/bundling.ts`, exactly as `cdk synth`/`cdk deploy` build them), into a
 * cloud assembly cached in the temp directory under a hash of every input (sources, lock file, cdk.json). The first
 * test file that asks builds it (~10–20 s, guarded by a lock directory so parallel test files build it once); the
 * others and later runs reuse it.
 *
 * Gives the template, the assembly folder, and for each function (by construct id: `JudgeChunk`, `StartRun`, …) the
 * path of its bundle (`asset.<hash>/index.mjs`), which tests import and invoke.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLE_FILE } from '../../infra/bundling.ts';
import type { LocalLambdaSource } from '../../infra/local/run-local.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STACK_NAME = 'AlpacaEvalPipeline';

export interface ShippedAssembly {
  /** The cloud assembly folder (what `cdk synth` writes to cdk.out). */
  outdir: string;
  /** The stack's template file name inside `outdir`. */
  templateFile: string;
  template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>; [k: string]: unknown };
  /** Construct id of each function → its bundle (absolute path of index.mjs). */
  bundles: Record<string, string>;
  /** Construct id of each function → its logical id in the template. */
  logicalIds: Record<string, string>;
}

/** Inputs of the synthesis: a change to any of them makes a new assembly. */
const INPUT_DIRS = ['lambdas', 'infra', 'containers', 'bin'];
const INPUT_FILES = ['package-lock.json', 'package.json', 'cdk.json', 'tsconfig.json'];

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

function inputHash(): string {
  const files: string[] = [];
  for (const d of INPUT_DIRS) walk(join(REPO_ROOT, d), files);
  for (const f of INPUT_FILES) files.push(join(REPO_ROOT, f));
  const h = createHash('sha256');
  for (const f of files) h.update(relative(REPO_ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** Synthesises the stack as `bin/app.ts` does (cdk.json context), bundling included, into `outdir`. */
async function synthesise(outdir: string): Promise<Omit<ShippedAssembly, 'outdir' | 'template'>> {
  const { AlpacaEvalStack } = await import('../../infra/alpaca-eval-stack.ts');
  const { parseStackConfig } = await import('../../infra/config.ts');
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir, context: { ...cdkJson.context }, analyticsReporting: false });
  const stack = new AlpacaEvalStack(app, STACK_NAME, { config: parseStackConfig(cdkJson.context.aep) });
  const assembly = app.synth();
  const templateFile = assembly.getStackByName(STACK_NAME).templateFile;
  const template = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as ShippedAssembly['template'];
  const bundles: Record<string, string> = {};
  const logicalIds: Record<string, string> = {};
  for (const c of stack.node.findAll()) {
    if (!(c instanceof nodejs.NodejsFunction)) continue;
    const id = c.node.scope!.node.id;
    const logicalId = Stack.of(c).resolve((c.node.defaultChild as CfnResource).logicalId) as string;
    const key = (template.Resources[logicalId]?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
    if (!key) throw new Error(`function ${id} (${logicalId}) has no S3Key in the template`);
    const bundle = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, BUNDLE_FILE);
    if (!existsSync(bundle)) throw new Error(`function ${id}: bundle ${bundle} was not written by the synthesis`);
    bundles[id] = relative(outdir, bundle);
    logicalIds[id] = logicalId;
  }
  return { templateFile, bundles, logicalIds };
}

/** Assemblies of older sources (not touched for a day) go: each is a few tens of MB. */
function removeStale(root: string, keep: string): void {
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (p === keep || name.endsWith('.lock')) continue;
    if (Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let memo: Promise<ShippedAssembly> | undefined;

/** The shipped assembly for the current sources (built on first use, cached across test files and runs). */
export function shippedAssembly(): Promise<ShippedAssembly> {
  memo ??= load();
  return memo;
}

async function load(): Promise<ShippedAssembly> {
  const root = join(tmpdir(), 'aep-shipped');
  mkdirSync(root, { recursive: true });
  const dir = join(root, inputHash());
  const index = join(dir, 'shipped.json');
  const lock = `${dir}.lock`;
  for (let waited = 0; !existsSync(index); waited += 200) {
    try {
      mkdirSync(lock);
    } catch {
      // another test file is building it; a lock older than 5 minutes belongs to a process that died
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (waited > 600_000) throw new Error(`timed out waiting for ${lock}`);
      await sleep(200);
      continue;
    }
    try {
      const building = `${dir}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      const result = await synthesise(building);
      writeFileSync(join(building, 'shipped.json'), JSON.stringify(result));
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
      removeStale(root, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const saved = JSON.parse(readFileSync(index, 'utf8')) as Omit<ShippedAssembly, 'outdir' | 'template'>;
  const template = JSON.parse(readFileSync(join(dir, saved.templateFile), 'utf8')) as ShippedAssembly['template'];
  return {
    outdir: dir, templateFile: saved.templateFile, template, logicalIds: saved.logicalIds,
    bundles: Object.fromEntries(Object.entries(saved.bundles).map(([k, v]) => [k, join(dir, v)])),
  };
}

let instances = 0;

/**
 * Imports a function's bundle and returns its `handler` export. Each call loads a new instance of the module (a
 * fresh "container": module-level clients and configuration are read again from `process.env`), so set the
 * environment before calling.
 */
export async function importBundledHandler<E = unknown, R = unknown>(assembly: ShippedAssembly, functionId: string): Promise<(event: E, context?: unknown) => Promise<R>> {
  const file = assembly.bundles[functionId];
  if (!file) throw new Error(`no function ${functionId} in the stack (have: ${Object.keys(assembly.bundles).join(', ')})`);
  const mod = (await import(/* @vite-ignore */ `${pathToFileURL(file).href}?instance=${++instances}`)) as { handler?: (event: E, context?: unknown) => Promise<R> };
  if (typeof mod.handler !== 'function') throw new Error(`${file} exports no handler`);
  return mod.handler;
}

/** Every state machine `ErrorEquals` name in the template that our code throws (not `States.*`, nor the Lambda service's `Lambda.*`). */
export function stateMachineErrorNames(assembly: ShippedAssembly): string[] {
  const names = new Set<string>();
  for (const r of Object.values(assembly.template.Resources)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const text = JSON.stringify(r.Properties?.DefinitionString ?? '');
    for (const m of text.matchAll(/\\"ErrorEquals\\":\[([^\]]*)\]/g)) {
      for (const n of m[1]!.matchAll(/\\"([^\\"]+)\\"/g)) if (!/^(States|Lambda)\./.test(n[1]!)) names.add(n[1]!);
    }
  }
  return [...names].sort();
}

/**
 * The local runner's Lambda tasks bound to the shipped bundles: a Task's function ARN names the function's logical
 * id (see `infra/local/definition.ts`), which names its bundle. Each bundle is loaded once per call of this function
 * (one warm "container" per function for the run).
 */
export function bundledLambdas(assembly: ShippedAssembly): LocalLambdaSource {
  const byLogicalId = new Map(Object.entries(assembly.logicalIds).map(([id, logical]) => [logical, id]));
  const loaded = new Map<string, Promise<(event: unknown, context?: unknown) => Promise<unknown>>>();
  return (functionArn) => {
    const logicalId = functionArn.split(':').at(-1)!;
    const id = byLogicalId.get(logicalId);
    if (!id) throw new Error(`no shipped bundle for ${functionArn}`);
    return async (event, context) => {
      let handler = loaded.get(id);
      if (!handler) loaded.set(id, handler = importBundledHandler(assembly, id));
      return (await handler)(event, { ...context, awsRequestId: context?.awsRequestId ?? 'local', functionName: id });
    };
  };
}

/**
 * Points the bundles (which read `process.env`, as in Lambda) at loopback servers: every AWS SDK client at
 * `endpoint`, the results bucket, and whatever else the function's environment needs. Returns a restore function.
 */
export function setLambdaEnvironment(endpoint: string, env: Record<string, string>): () => void {
  const values: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT', AEP_OFFLINE: '1', ...env,
  };
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
