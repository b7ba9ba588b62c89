/**
 * Judge throughput against the loopback fake OpenAI server: 805 rows, 300 ms per answer, a server-side RPM limit
 * (token bucket with a one-second burst, HTTP 429 above it). Prints wall time ÷ the bound
 * max(805·60/RPM, 805·latency/concurrency) — it must be ≤ 1.10 with 0 lost rows — for a clean run and for one where
 * 5 % of answers are faulted (HTTP 500, connection reset, malformed JSON; every fault costs a retry and an RPM slot).
 * With `--all`, two more (not held to 1.10): concurrency-bound (no RPM limit, 48 in flight) and RPM-bound without
 * telling the client the RPM (adaptive slow-down only, 96 allowed in flight). Always last: sparse transient faults with
 * spare quota (no RPM limit, 20 ms per answer; 5 % 429 with retry-after 1 s, 3 % 500, 2 % resets, 1 % bad JSON),
 * compared with a plain client at the same concurrency that only honours retry-after (held to ≤ 1.5×, goal 1.1×).
 *
 * Rows are synthetic (805 distinct instructions and outputs, none identical, so every row is a request); the prompt
 * template is the official one when the fixtures are present. Wall time includes input preparation.
 * Run: `npx tsx bench/judge.bench.ts [--all]` (RPM 3000, concurrency 16; override with BENCH_RPM / BENCH_CONCURRENCY).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetResolver } from '../lambdas/adapters/assets.ts';
import { BlobJudgeCache } from '../lambdas/adapters/judge-cache.ts';
import { OpenAIJudgeClient } from '../lambdas/adapters/openai-judge-client.ts';
import { JUDGE_PRESETS } from '../lambdas/core/judge/presets.ts';
import { judgeRun } from '../lambdas/services/judge/judge-run.ts';
import { DEFAULT_SCHEDULER_SETTINGS } from '../lambdas/services/judge/scheduler.ts';
import { startFakeOpenAI, type ChatFault } from '../test/support/fake-openai.ts';
import { fixturePath } from '../test/support/fixtures.ts';

const ROWS = 805;
const LATENCY_MS = 300;
const PRESET = JUDGE_PRESETS.weighted_alpaca_eval_gpt4_turbo!;
const SYNTHETIC_TEMPLATE = '<|im_start|>system\nJudge.\n<|im_end|>\n<|im_start|>user\n{instruction}\nm: {output_1}\nM: {output_2}\n<|im_end|>';

interface Scenario {
  name: string;
  /** Per answer; default LATENCY_MS. */
  latencyMs?: number;
  /** Faults with their shares of attempts (default: faultRate split evenly over FAULTS). */
  profile?: { share: number; fault: ChatFault }[];
  serverRpm?: number;
  clientRpm?: number;
  concurrency: number;
  faultRate: number;
  /** Whether the ≤ 1.10 requirement applies. */
  required: boolean;
}

function hashUnit(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

const FAULTS: ChatFault[] = [{ type: 'status', status: 500 }, { type: 'reset' }, { type: 'malformed' }];

/** The fault for a uniform draw `u`: the scenario's profile, else `faultRate` split evenly over FAULTS. */
function pickFault(s: Scenario, u: number): ChatFault | undefined {
  if (s.profile) {
    let acc = 0;
    for (const p of s.profile) {
      acc += p.share;
      if (u < acc) return p.fault;
    }
    return undefined;
  }
  return u < s.faultRate ? FAULTS[Math.floor((u / s.faultRate) * FAULTS.length)] : undefined;
}

/** Sparse transient faults with spare quota: 5 % 429 (retry-after 1 s), 3 % 500, 2 % resets, 1 % bad JSON. */
const SPARSE: { share: number; fault: ChatFault }[] = [
  { share: 0.05, fault: { type: 'status', status: 429, code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } } },
  { share: 0.03, fault: { type: 'status', status: 500 } },
  { share: 0.02, fault: { type: 'reset' } },
  { share: 0.01, fault: { type: 'malformed' } },
];

/**
 * The plain client to compare with: `concurrency` workers, each sending the same official request for its next row
 * until it gets a chat completion, sleeping the server's retry-after on a 429 and retrying any other failure at once.
 * No budgets, no adaptive slow-down, no cache. Returns the wall time in seconds.
 */
async function plainClient(s: Scenario): Promise<number> {
  const attempts = new Map<string, number>();
  const fake = await startFakeOpenAI({
    latencyMs: s.latencyMs ?? LATENCY_MS,
    fault: (req) => {
      const n = attempts.get(req.promptKey) ?? 0;
      attempts.set(req.promptKey, n + 1);
      return pickFault(s, hashUnit(`${req.promptKey}#${n}`));
    },
  });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < ROWS) {
      const i = next++;
      const body = JSON.stringify({
        model: PRESET.model, max_tokens: 1, temperature: 1, top_p: 1, logprobs: true, top_logprobs: 5,
        messages: [{ role: 'user', content: `plain row ${i}` }],
      });
      for (;;) {
        try {
          const res = await fetch(`${fake.baseUrl}/chat/completions`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }, body,
          });
          const text = await res.text();
          if (res.status === 429) {
            await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
            continue;
          }
          if (res.ok && Array.isArray((JSON.parse(text) as { choices?: unknown }).choices)) break;
        } catch {
          // reset or bad JSON: try again
        }
      }
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, worker));
  const wallS = (performance.now() - started) / 1000;
  await fake.close();
  return wallS;
}

async function inputs(dir: string): Promise<{ evalSet: string; template: string; modelOutputs: string }> {
  const words = (i: number, n: number) => Array.from({ length: n }, (_, k) => `w${(i * 7919 + k * 104729) % 10007}`).join(' ');
  const reference = Array.from({ length: ROWS }, (_, i) => ({
    instruction: `Instruction ${i}: ${words(i, 20)}`, output: `Reference answer ${i}. ${words(i + 1, 300)}`,
    generator: 'gpt4_1106_preview', dataset: 'synthetic',
  }));
  const model = reference.map((r, i) => ({ instruction: r.instruction, output: `Model answer ${i}. ${words(i + 2, 250)}`, generator: 'bench-model' }));
  const evalSet = join(dir, 'eval_set.json');
  const modelOutputs = join(dir, 'model_outputs.json');
  await writeFile(evalSet, JSON.stringify(reference));
  await writeFile(modelOutputs, JSON.stringify(model));
  let template = fixturePath('judge/alpaca_eval_clf.txt');
  if (!template) {
    template = join(dir, 'template.txt');
    await writeFile(template, SYNTHETIC_TEMPLATE);
  }
  return { evalSet, template, modelOutputs };
}

async function run(s: Scenario) {
  const dir = await mkdtemp(join(tmpdir(), 'aep-judge-bench-'));
  const files = await inputs(dir);
  const attempts = new Map<string, number>();
  const fake = await startFakeOpenAI({
    latencyMs: s.latencyMs ?? LATENCY_MS,
    ...(s.serverRpm !== undefined ? { rpm: s.serverRpm } : {}),
    fault: (req) => {
      const n = attempts.get(req.promptKey) ?? 0;
      attempts.set(req.promptKey, n + 1);
      return pickFault(s, hashUnit(`${req.promptKey}#${n}`));
    },
  });
  const started = performance.now();
  const { summary } = await judgeRun({
    assets: new AssetResolver({ cacheDir: dir, overrides: { 'eval-set': files.evalSet, 'judge-template': files.template } }),
    modelOutputs: { text: await readFile(files.modelOutputs, 'utf8'), fileName: files.modelOutputs },
    preset: PRESET,
    client: new OpenAIJudgeClient({ model: PRESET.model, apiKey: 'sk-bench', baseUrl: fake.baseUrl, request: PRESET.request }),
    cache: BlobJudgeCache.inDirectory(join(dir, 'judge')),
    scheduler: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: s.concurrency, rpm: s.clientRpm },
  });
  const wallS = (performance.now() - started) / 1000;
  await fake.close();
  await rm(dir, { recursive: true, force: true });
  const rpmBound = s.serverRpm !== undefined ? (ROWS * 60) / s.serverRpm : 0;
  const bound = Math.max(rpmBound, (ROWS * (s.latencyMs ?? LATENCY_MS)) / 1000 / s.concurrency);
  const lost = ROWS - (summary.judged + summary.cached + summary.identical);
  return { wallS, bound, ratio: wallS / bound, lost, summary, server429: fake.stats.rateLimited, peak: fake.stats.maxInFlight };
}

const RPM = Number(process.env.BENCH_RPM ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const SCENARIOS: Scenario[] = [
  { name: 'RPM-bound, clean', serverRpm: RPM, clientRpm: RPM, concurrency: CONCURRENCY, faultRate: 0, required: true },
  { name: 'RPM-bound, 5 % faulted', serverRpm: RPM, clientRpm: RPM, concurrency: CONCURRENCY, faultRate: 0.05, required: true },
];
const SPARSE_SCENARIO: Scenario = {
  name: 'sparse faults, spare quota', latencyMs: 20, concurrency: CONCURRENCY, faultRate: 0, profile: SPARSE, required: false,
};
if (process.argv.includes('--all')) {
  SCENARIOS.push(
    { name: 'concurrency-bound, 5 % faulted', concurrency: 48, faultRate: 0.05, required: false },
    { name: 'RPM-bound, client not told the RPM', serverRpm: 6000, concurrency: 96, faultRate: 0, required: false },
  );
}

let failed = false;
console.log(`judge bench: ${ROWS} rows, ${LATENCY_MS} ms per answer; bound = max(${ROWS}·60/RPM, ${ROWS}·latency/concurrency)`);
for (const s of SCENARIOS) {
  const r = await run(s);
  const ok = r.lost === 0 && (!s.required || r.ratio <= 1.1);
  if (!ok) failed = true;
  console.log(`${s.name.padEnd(38)} rpm ${String(s.serverRpm ?? '∞').padStart(4)} (client ${String(s.clientRpm ?? '-').padStart(4)}) `
    + `conc ${s.concurrency} · wall ${r.wallS.toFixed(2)} s · bound ${r.bound.toFixed(2)} s · ratio ${r.ratio.toFixed(3)} · `
    + `lost ${r.lost} · requests ${r.summary.requests} · retries ${r.summary.retries} · 429s ${r.server429} · peak ${r.peak}`
    + `${s.required ? (ok ? '  OK' : '  FAIL (needs ≤ 1.10, 0 lost)') : ''}`);
}
{
  // sparse transient faults with spare quota: held to 1.5× (goal 1.1×) of the plain client at the same concurrency
  const s = SPARSE_SCENARIO;
  const r = await run(s);
  const plainS = await plainClient(s);
  const vsPlain = r.wallS / plainS;
  const ok = r.lost === 0 && vsPlain <= 1.5;
  if (!ok) failed = true;
  console.log(`${s.name.padEnd(38)} latency ${s.latencyMs} ms, conc ${s.concurrency} · wall ${r.wallS.toFixed(2)} s · `
    + `plain client ${plainS.toFixed(2)} s · ratio to plain ${vsPlain.toFixed(3)} · lost ${r.lost} · `
    + `requests ${r.summary.requests} · retries ${r.summary.retries} · 429s answered ${r.summary.rateLimited}`
    + `${ok ? '  OK' : '  FAIL (needs ≤ 1.5× plain, 0 lost)'}`);
}
if (failed) process.exitCode = 1;
