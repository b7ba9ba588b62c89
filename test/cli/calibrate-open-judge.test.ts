/**
 * An open-weights judge is calibrated like any other (#14): `aep calibrate --judge vllm_llama3_8b` judges the panel on
 * a running vLLM-compatible engine (`--judge-base-url`; the fake engine answering as "judge X", a distorted copy of
 * the official preferences), then `aep run --judge-engine vllm --calibration FILE` on the stand-in vllm gives a
 * complete result with the official-scale estimate.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envWithPath, installVllmStandin } from '../containers/standin.ts';
import { runAep } from '../support/cli.ts';
import { engineJudgeTopLogprobs, startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { panelJudgeX } from '../support/fake-judge-x.ts';
import { fixturePath, fixturesRoot, missingFixtures, missingMessage } from '../support/fixtures.ts';
import { assetFlags, FIXTURES, MODEL } from '../workflow/harness.ts';

const PANEL = ['gemma-2b-it', 'falcon-7b-instruct', 'alpaca-7b', 'vicuna-7b', 'gpt-3.5-turbo-1106', 'claude-2.1'];
const FILES = [...FIXTURES, ...PANEL.flatMap((m) => [`outputs/${m}.model_outputs.json.gz`, `annotations/${m}.annotations.json.gz`])];
const missing = missingFixtures(...FILES);
if (missing.length) console.warn(`[skip] open-judge calibration tests: ${missingMessage(missing)}`);
const JUDGE_MODEL = 'meta-llama/Meta-Llama-3-8B-Instruct';

let judge: FakeEngine;
let generator: FakeEngine;
let binDir: string;
beforeAll(async () => {
  if (missing.length) return;
  const x = panelJudgeX(PANEL, FIXTURES[0]!, { squash: 0.7, lengthBias: 0.15, noise: 0.8 });
  judge = await startFakeEngine({
    models: [JUDGE_MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0,
    judgeTopLogprobs: (key) => {
      const choice = x({ body: { messages: JSON.parse(key) }, promptKey: key, n: 0, at: 0, headers: {} }) as { logprobs: { content: { top_logprobs: { token: string; logprob: number }[] }[] } } | undefined;
      return choice ? choice.logprobs.content[0]!.top_logprobs : engineJudgeTopLogprobs(key);
    },
  });
  generator = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  ({ binDir } = await installVllmStandin());
});
afterAll(async () => {
  await Promise.all([judge?.close(), generator?.close()]);
});

describe.skipIf(missing.length > 0)('calibrating an open-weights judge', () => {
  it('aep calibrate on a running engine, then aep run --judge-engine vllm --calibration adds the official-scale estimate', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'aep-cal-open-'));
    const cache = join(dir, 'cache');
    // Act: calibrate
    const cal = await runAep(['calibrate', '--judge', 'vllm_llama3_8b', '--judge-base-url', judge.baseUrl, '--panel', PANEL.join(','),
      '--panel-dir', fixturesRoot()!, '--eval-set', fixturePath(FIXTURES[0]!)!, '--judge-template', fixturePath(FIXTURES[1]!)!,
      '--gamed', fixturePath(FIXTURES[2]!)!, '--leaderboard', fixturePath(FIXTURES[4]!)!, '--cache-dir', cache, '--concurrency', '64',
      '--out', join(dir, 'cal'), '--json'], { env: { OPENAI_API_KEY: 'EMPTY' }, timeoutMs: 600_000 });
    // Assess
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stderr).toMatch(/judging 6 panel models with meta-llama\/Meta-Llama-3-8B-Instruct: \d+ requests not in the cache, estimated cost unknown/);
    const j = JSON.parse(cal.stdout) as { judge: string; models: { name: string; judge_lc: number; official_lc: number; loo_predicted_lc: number }[] };
    expect(j.models).toHaveLength(PANEL.length);
    expect(judge.requests.length).toBeGreaterThan(PANEL.length * 700);
    const calibration = join(dir, 'cal', 'calibration.json');
    const doc = JSON.parse(await readFile(calibration, 'utf8'));
    expect(JSON.stringify(doc.judge)).toMatch(/vllm_llama3_8b|Meta-Llama-3-8B-Instruct/);

    // Act: a run judged on the stand-in vllm, with that calibration
    const run = await runAep(['run', '--model', MODEL, '--generator-base-url', generator.baseUrl, '--judge', 'vllm_llama3_8b', '--judge-engine', 'vllm',
      '--calibration', calibration, '--max-instances', '60', '--out', join(dir, 'results'), '--cache-dir', cache, ...assetFlags()],
    { env: envWithPath(binDir, { OPENAI_API_KEY: '' }), timeoutMs: 240_000 });
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const runId = /run (hh-llama32-1b-sft-latest-[0-9a-f]+)/.exec(run.stdout)![1]!;
    const metrics = JSON.parse(await readFile(join(dir, 'results', 'runs', runId, 'metrics.json'), 'utf8'));
    expect(metrics.official_scale.length_controlled_winrate).toEqual(expect.any(Number));
    expect(metrics.official_scale.interval).toHaveLength(2);
    expect(JSON.stringify(metrics.official_scale.calibration)).toMatch(/vllm_llama3_8b|Meta-Llama-3-8B-Instruct/);
    expect(metrics.length_controlled_winrate).toEqual(expect.any(Number));
    expect(run.stderr).toMatch(/judge vLLM up .* GPU-minutes/);
  }, 900_000);

  it('aep calibrate --judge-engine vllm judges the panel on a vLLM it starts (prefix caching), reports its GPU time and stops it', async () => {
    // Prepare: a two-model panel, too small for a bridge, so the outcome does not depend on the stand-in's answers
    const dir = await mkdtemp(join(tmpdir(), 'aep-cal-engine-'));
    const record = join(dir, 'standin.json');
    const args = ['calibrate', '--judge', 'vllm_llama3_8b', '--judge-engine', 'vllm', '--panel', PANEL.slice(0, 2).join(','),
      '--panel-dir', fixturesRoot()!, '--eval-set', fixturePath(FIXTURES[0]!)!, '--judge-template', fixturePath(FIXTURES[1]!)!,
      '--gamed', fixturePath(FIXTURES[2]!)!, '--leaderboard', fixturePath(FIXTURES[4]!)!, '--cache-dir', join(dir, 'cache'), '--out', join(dir, 'cal')];
    // Act
    const r = await runAep(args, { env: envWithPath(binDir, { OPENAI_API_KEY: '', STANDIN_RECORD: record }), timeoutMs: 300_000 });
    // Assess: the panel was judged on the engine (no API key needed), then the bridge refused two models
    expect(r.stderr).toMatch(/judging 2 panel models with meta-llama\/Meta-Llama-3-8B-Instruct/);
    expect(r.stderr).toMatch(/judge vLLM up [\d.]+ s \(start [\d.]+ s\) on 1 GPU\(s\): [\d.]+ GPU-minutes/);
    expect(r.stderr).toContain('a calibration needs at least 3 models on both boards, found 2');
    expect(r.code).toBe(1);
    const { argv, pid } = JSON.parse(await readFile(record, 'utf8')) as { argv: string[]; pid: number };
    expect(argv.slice(0, 2)).toEqual(['serve', JUDGE_MODEL]);
    expect(argv).toContain('--enable-prefix-caching');
    expect(() => process.kill(pid, 0)).toThrow(); // stopped
    // a closed judge has no weights to serve: refused before anything starts
    const closed = await runAep(['calibrate', '--judge', 'weighted_alpaca_eval_gpt4_turbo', '--judge-engine', 'vllm', '--out', join(dir, 'x')], { env: envWithPath(binDir, {}) });
    expect(closed.code).not.toBe(0);
    expect(closed.stderr).toMatch(/has no open weights to serve with vLLM; open-weights presets: weighted_alpaca_eval_vllm_llama3_70b, vllm_llama3_8b/);
  }, 600_000);
});
