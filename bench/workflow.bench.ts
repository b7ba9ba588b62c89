/**
 * Orchestration overhead of the workflow: the synthesised state machine run locally on 805 rows, with an engine
 * and a judge on loopback that answer at once (zero latency), so what is measured is the pipeline itself —
 * state machine, run-folder I/O, cache, parsing, LC fit, report. Also: the time to synthesise the stack
 * (in-process, as `aep run` does, and `cdk synth` with bundling, as a deploy does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore } from '../lambdas/adapters/file-blob-store.ts';
import { runGenerator } from '../containers/generator/run.ts';
import { synthLocalDefinition } from '../infra/local/definition.ts';
import { localDeps } from '../infra/local/local-deps.ts';
import { runLocal } from '../infra/local/run-local.ts';
import { startFakeEngine } from '../test/support/fake-engine.ts';
import { startFakeOpenAI } from '../test/support/fake-openai.ts';
import { fixturePath, missingFixtures, missingMessage, repoRoot } from '../test/support/fixtures.ts';

const FIX = ['reference/gpt4_1106_preview.model_outputs.json', 'judge/alpaca_eval_clf.txt', 'standin/df_gamed.csv', 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv'];
const missing = missingFixtures(...FIX);
if (missing.length) {
  console.log(`workflow bench skipped: ${missingMessage(missing)}`);
  process.exit(0);
}

const MODEL = 'bench-model';
const engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 1e9, perTokenLatencyMs: 0 });
const judge = await startFakeOpenAI();
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

async function once(label: string): Promise<{ ms: number; byState: Map<string, number> }> {
  const dir = await mkdtemp(join(tmpdir(), 'aep-bench-wf-'));
  const env = { OPENAI_API_KEY: 'sk-bench', AEP_OFFLINE: '1' };
  const deps = localDeps({ store: new FileBlobStore(join(dir, 'store')), cacheDir: join(dir, 'cache'), env, log: quiet, version: 'bench' });
  const entered = new Map<string, number>();
  const byState = new Map<string, number>();
  const t0 = performance.now();
  const result = await runLocal({
    input: { config: { model: MODEL, judge: { baseUrl: judge.baseUrl, concurrency: 16 }, assets: { evalSet: fixturePath(FIX[0]!), judgeTemplate: fixturePath(FIX[1]!), gamed: fixturePath(FIX[2]!), leaderboard: fixturePath(FIX[3]!) } } },
    deps,
    generate: async (job) => {
      const code = await runGenerator({ env: { ...env, ...job.environment, AEP_CACHE_DIR: join(dir, 'cache'), PROGRESS_INTERVAL_S: '3600' }, out: () => {}, err: () => {}, engine: { baseUrl: engine.baseUrl } });
      if (code !== 0) throw new Error(`generation exited ${code}`);
    },
    onState: (e) => {
      if (e.index !== undefined) return;
      if (e.type === 'entered') entered.set(e.state, performance.now());
      if (e.type === 'exited') byState.set(e.state, performance.now() - (entered.get(e.state) ?? performance.now()));
    },
  });
  const ms = performance.now() - t0;
  if (result.status !== 'SUCCEEDED') throw new Error(`${label}: ${result.error}: ${result.cause}`);
  return { ms, byState };
}

const tSynth = performance.now();
synthLocalDefinition();
const synthMs = performance.now() - tSynth;

await once('warm-up');
const runs = [];
for (let i = 0; i < 3; i++) runs.push(await once(`run ${i}`));
runs.sort((a, b) => a.ms - b.ms);
const median = runs[1]!;
await Promise.all([engine.close(), judge.close()]);

console.log(`workflow, 805 rows, zero-latency engine and judge on loopback (Node ${process.version}); median of 3 runs after a warm-up`);
console.log(`  end to end: ${(median.ms / 1000).toFixed(2)} s  (${(median.ms / 805).toFixed(2)} ms per row; runs ${runs.map((r) => (r.ms / 1000).toFixed(2)).join(' / ')} s)`);
for (const [state, ms] of median.byState) if (ms >= 5) console.log(`    ${state.padEnd(20)} ${(ms / 1000).toFixed(2)} s`);
console.log(`  stack synthesis in-process (aep run start-up): ${synthMs.toFixed(0)} ms (first call, includes construct library load)`);

const t = performance.now();
const synth = spawnSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', join(tmpdir(), `aep-bench-cdk-${process.pid}`)], {
  cwd: repoRoot, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' }, encoding: 'utf8',
});
const cdkMs = performance.now() - t;
console.log(synth.status === 0
  ? `  cdk synth (7 Lambda bundles by esbuild, cdk-nag, CloudFormation validation): ${(cdkMs / 1000).toFixed(1)} s`
  : `  cdk synth failed (exit ${synth.status}): ${synth.stderr.split('\n').slice(-5).join(' ')}`);
