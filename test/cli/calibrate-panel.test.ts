import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { panelJudgeX } from '../support/fake-judge-x.ts';
import { fixturePath, fixturesRoot, missingFixtures, missingMessage } from '../support/fixtures.ts';

// the fixture models on the official board (text_davinci_003 has no AlpacaEval 2.0 row)
const PANEL = ['gemma-2b-it', 'falcon-7b-instruct', 'phi-2', 'alpaca-7b', 'vicuna-7b', 'Qwen-14B-Chat', 'gpt-3.5-turbo-1106', 'claude-2.1', 'FuseChat-Llama-3.2-1B-Instruct'];
const ASSETS = ['reference/gpt4_1106_preview.model_outputs.json', 'judge/alpaca_eval_clf.txt', 'standin/df_gamed.csv', 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv'];
const FILES = [...ASSETS, ...PANEL.flatMap((m) => [`outputs/${m}.model_outputs.json.gz`, `annotations/${m}.annotations.json.gz`])];
const missing = missingFixtures(...FILES);
if (missing.length) console.warn(`[skip] aep calibrate panel tests: ${missingMessage(missing)}`);

let judge: FakeOpenAI;
beforeAll(async () => {
  if (missing.length) return;
  judge = await startFakeOpenAI({ answer: panelJudgeX(PANEL, ASSETS[0]!, { squash: 0.7, lengthBias: 0.15, noise: 0.8 }) });
});
afterAll(async () => {
  await judge?.close();
});

const flags = (dir: string) => [
  'calibrate', '--judge-model', 'judge-x', '--judge-base-url', judge.baseUrl, '--panel', PANEL.join(','), '--panel-dir', fixturesRoot()!,
  '--eval-set', fixturePath(ASSETS[0]!)!, '--judge-template', fixturePath(ASSETS[1]!)!, '--gamed', fixturePath(ASSETS[2]!)!,
  '--leaderboard', fixturePath(ASSETS[3]!)!, '--cache-dir', join(dir, 'cache'), '--concurrency', '32',
];
const env = { env: { OPENAI_API_KEY: 'sk-test' }, timeoutMs: 600_000 };

describe.skipIf(missing.length > 0)('aep calibrate (judging the panel)', () => {
  it('refuses to judge when the cost is above --max-cost (unknown prices count as above), before any request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-calp-'));
    const before = judge.chatRequests.length;
    const r = await runAep([...flags(dir), '--max-cost', '1', '--out', dir], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/estimated cost unknown/);
    expect(r.stderr).toMatch(/exceeds --max-cost \$1\.00; nothing was judged/);
    expect(judge.chatRequests.length).toBe(before);
  });

  it('judge X (official preferences squashed, length-biased, noisy): held-out panel models come back within the stated interval; a second calibration is free', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'aep-calp-'));
    const before = judge.chatRequests.length;
    // Act
    const r = await runAep([...flags(dir), '--level', '0.8', '--out', dir, '--json'], env);
    const cold = judge.chatRequests.length - before;
    const again = await runAep([...flags(dir), '--level', '0.8', '--out', join(dir, 'again'), '--json'], env);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(cold).toBeGreaterThan(PANEL.length * 700);
    expect(again.code, again.stderr).toBe(0);
    expect(judge.chatRequests.length - before).toBe(cold); // every judgement came from the cache
    const j = JSON.parse(r.stdout) as { judge: string; models: Record<string, any>[] };
    expect(j.judge).toBe('judge:judge-x');
    expect(j.models).toHaveLength(PANEL.length);
    let covered = 0;
    let judgeErr = 0;
    let looErr = 0;
    for (const m of j.models) {
      expect(m.loo_interval[1] - m.loo_interval[0], m.name).toBeLessThan(60); // finite, informative intervals
      if (m.official_lc >= m.loo_interval[0] && m.official_lc <= m.loo_interval[1]) covered++;
      judgeErr += Math.abs(m.judge_lc - m.official_lc);
      looErr += Math.abs(m.loo_predicted_lc - m.official_lc);
    }
    expect(covered).toBeGreaterThanOrEqual(PANEL.length - 1);
    expect(looErr).toBeLessThan(judgeErr); // the bridge brings X's numbers closer to the official ones
    const doc = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8'));
    expect(doc.agreement).toHaveLength(PANEL.length);
    for (const a of doc.agreement) {
      expect(a.same_side).toBeGreaterThan(0.6);
      expect(a.correlation).toBeGreaterThan(0.5);
    }
    expect(doc.drift_sample.rows).toHaveLength(40);
    expect(doc.assets['panel-outputs:gemma-2b-it'].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(again.stdout).models).toEqual(j.models);
  }, 600_000);
});
