/**
 * `aep calibrate` cost in time and judge requests, cold (empty judge cache) and cached (same calibration again),
 * with the fake judge X on loopback (official preferences squashed, length-biased, noisy; 20 ms per answer,
 * 32 requests in flight) and the panel read from the fixtures (`--panel-dir`). Requests are counted at the server.
 * Run: `npx tsx bench/calibrate.bench.ts` (needs the AlpacaEval fixtures: AEP_FIXTURES). BENCH_PANEL=a,b,… picks the panel.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAep } from '../test/support/cli.ts';
import { judgeXAnswer } from '../test/support/fake-judge-x.ts';
import { startFakeOpenAI } from '../test/support/fake-openai.ts';
import { fixturePath, fixturesRoot, readFixtureJson } from '../test/support/fixtures.ts';

const PANEL = (process.env.BENCH_PANEL ?? 'gemma-2b-it,falcon-7b-instruct,phi-2,alpaca-7b,vicuna-7b,Qwen-14B-Chat,gpt-3.5-turbo-1106,claude-2.1,FuseChat-Llama-3.2-1B-Instruct').split(',');
const ASSETS = ['reference/gpt4_1106_preview.model_outputs.json', 'judge/alpaca_eval_clf.txt', 'standin/df_gamed.csv', 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv'];

if (!fixturesRoot()) {
  console.error('calibrate bench: the AlpacaEval fixtures are missing (set AEP_FIXTURES)');
  process.exit(1);
}
const official = new Map<string, number>();
for (const m of PANEL) {
  for (const r of readFixtureJson<{ instruction: string; output_2: string; preference: number | null }[]>(`annotations/${m}.annotations.json.gz`)) {
    if (r.preference !== null) official.set(`${r.instruction}\u0000${r.output_2}`, r.preference);
  }
}
const reference = new Map(readFixtureJson<{ instruction: string; output: string }[]>(ASSETS[0]!).map((r) => [r.instruction, r.output]));
const judge = await startFakeOpenAI({ latencyMs: 20, answer: judgeXAnswer(official, reference, { squash: 0.7, lengthBias: 0.15, noise: 0.8 }) });
const dir = await mkdtemp(join(tmpdir(), 'aep-bench-cal-'));
const args = (out: string) => ['calibrate', '--judge-model', 'judge-x', '--judge-base-url', judge.baseUrl, '--panel', PANEL.join(','), '--panel-dir', fixturesRoot()!,
  '--eval-set', fixturePath(ASSETS[0]!)!, '--judge-template', fixturePath(ASSETS[1]!)!, '--gamed', fixturePath(ASSETS[2]!)!, '--leaderboard', fixturePath(ASSETS[3]!)!,
  '--cache-dir', join(dir, 'cache'), '--concurrency', '32', '--level', '0.8', '--out', out];
try {
  const figures: { pass: string; seconds: number; requests: number }[] = [];
  for (const pass of ['cold', 'cached']) {
    const before = judge.chatRequests.length;
    const t0 = performance.now();
    const r = await runAep(args(join(dir, pass)), { env: { OPENAI_API_KEY: 'sk-bench' }, timeoutMs: 1_800_000 });
    if (r.code !== 0) throw new Error(`aep calibrate failed: ${r.stderr}`);
    figures.push({ pass, seconds: (performance.now() - t0) / 1000, requests: judge.chatRequests.length - before });
    if (pass === 'cold') process.stdout.write(r.stdout);
  }
  const [cold, cached] = figures as [typeof figures[0], typeof figures[0]];
  console.log(`\ncalibration of ${PANEL.length} panel models (${PANEL.length * 805} rows), 20 ms per answer, 32 in flight:`);
  for (const f of figures) console.log(`  ${f.pass.padEnd(6)}  ${f.seconds.toFixed(1).padStart(7)} s   ${String(f.requests).padStart(6)} judge requests`);
  console.log(`  cached/cold time ratio ${(cached.seconds / cold.seconds).toFixed(2)}; requests saved ${cold.requests - cached.requests}`);
} finally {
  await judge.close();
  await rm(dir, { recursive: true, force: true });
}
