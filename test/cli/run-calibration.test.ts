import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expitPct, logitPct } from '../../lambdas/core/calibration/bridge.ts';
import { buildCalibration } from '../../lambdas/core/calibration/document.ts';
import { runAep } from '../support/cli.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, missingFixtures, missingMessage } from '../support/fixtures.ts';
import { assetFlags, FIXTURES, MODEL } from '../workflow/harness.ts';

const missing = missingFixtures(...FIXTURES);
if (missing.length) console.warn(`[skip] aep run --calibration tests: ${missingMessage(missing)}`);

let engine: FakeEngine;
let judge: FakeOpenAI;
beforeAll(async () => {
  engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  judge = await startFakeOpenAI();
});
afterAll(async () => {
  await Promise.all([engine?.close(), judge?.close()]);
});

/** A calibration of judge model `judge-x` fitted on a synthetic 11-model panel. */
function calibrationFor(model: string) {
  const officials = [5, 8, 12, 15, 19, 22, 26, 30, 35, 41, 48];
  const board = (f: (o: number) => number) => officials.map((o, i) => ({ name: `m${i}`, length_controlled_winrate: f(o), win_rate: f(o) * 0.9 }));
  return buildCalibration({
    judge: { preset: `custom:${model}`, model, snapshot: null, scale: `judge:${model}` },
    judgeBoard: board((o) => expitPct(0.3 + 0.7 * logitPct(o) + 0.05 * Math.sin(o))),
    officialBoard: board((o) => o),
    source: { kind: 'leaderboard', file: 'synthetic.csv', sha256: '0'.repeat(64) }, official: { file: 'official.csv', sha256: '1'.repeat(64) },
  });
}

describe.skipIf(missing.length > 0)('aep run --calibration', () => {
  it('adds the official-scale estimate to metrics, manifest and summary; a calibration of another judge stops the run before any judge request', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'aep-run-cal-'));
    await writeFile(join(dir, 'cal-x.json'), JSON.stringify(calibrationFor('judge-x')));
    await writeFile(join(dir, 'cal-y.json'), JSON.stringify(calibrationFor('judge-y')));
    const common = ['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-base-url', judge.baseUrl, '--judge-model', 'judge-x',
      '--max-instances', '20', '--cache-dir', join(dir, 'cache'), ...assetFlags()];
    const env = { env: { OPENAI_API_KEY: 'sk-test' } };
    // Act
    const before = judge.chatRequests.length;
    const wrong = await runAep([...common, '--out', join(dir, 'wrong'), '--calibration', join(dir, 'cal-y.json')], env);
    const afterWrong = judge.chatRequests.length;
    const r = await runAep([...common, '--out', join(dir, 'ok'), '--calibration', join(dir, 'cal-x.json')], env);
    // Assess
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/cal-y\.json.*calibration is for judge judge:judge-y/);
    expect(afterWrong).toBe(before);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/official scale\s+LC \d+\.\d\d\s+\(90 % interval \d+\.\d\d–\d+\.\d\d/);
    const runId = /run (hh-llama32-1b-sft-\S+)/.exec(r.stdout)![1]!.replace(/\)$/, '');
    const folder = join(dir, 'ok', 'runs', runId);
    const metrics = JSON.parse(await readFile(join(folder, 'metrics.json'), 'utf8'));
    const expected = calibrationFor('judge-x');
    const z = expected.map.lc.a + expected.map.lc.b * logitPct(metrics.length_controlled_winrate);
    expect(metrics.official_scale.length_controlled_winrate).toBeCloseTo(expitPct(z), 9);
    expect(metrics.official_scale.interval[0]).toBeLessThan(metrics.official_scale.length_controlled_winrate);
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest.assets.calibration.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.results.official_scale_lc).toBe(metrics.official_scale.length_controlled_winrate);
    const report = await readFile(join(folder, 'report.html'), 'utf8');
    expect(report).toContain(`<span id="official-lc">${metrics.official_scale.length_controlled_winrate.toFixed(2)}</span>`);
    expect(report).toContain('LC win rate (scale of judge:judge-x)');
  });

  it('drift watch: a judge whose answers moved away from the stored sample is a warning in metrics and manifest; the sample costs nothing twice', async () => {
    // Prepare: a drift sample of 40 eval rows whose stored preferences (all 1.05) the fake judge (hash-uniform) does not reproduce
    const dir = await mkdtemp(join(tmpdir(), 'aep-run-drift-'));
    const evalSet = JSON.parse(await readFile(fixturePath(FIXTURES[0]!)!, 'utf8')) as { instruction: string; output: string }[];
    const rows = Array.from({ length: 40 }, (_, i) => i * 20);
    const cal = { ...calibrationFor('judge-x'), drift_sample: {
      model: 'panel-model', rows, instructions: rows.map((i) => evalSet[i]!.instruction),
      outputs: rows.map((i) => `A short answer to row ${i}.`), preferences: rows.map(() => 1.05),
    } };
    await writeFile(join(dir, 'cal.json'), JSON.stringify(cal));
    const args = (out: string) => ['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-base-url', judge.baseUrl, '--judge-model', 'judge-x',
      '--max-instances', '10', '--cache-dir', join(dir, 'cache'), '--calibration', join(dir, 'cal.json'), '--out', out, ...assetFlags()];
    // Act
    const before = judge.chatRequests.length;
    const r = await runAep(args(join(dir, 'a')), { env: { OPENAI_API_KEY: 'sk-test' } });
    const first = judge.chatRequests.length - before;
    const again = await runAep(args(join(dir, 'b')), { env: { OPENAI_API_KEY: 'sk-test' } });
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(first).toBe(10 + 40);
    expect(again.code, again.stderr).toBe(0);
    expect(judge.chatRequests.length - before).toBe(first); // the second run's sample and rows came from the cache
    const runId = /run (hh-llama32-1b-sft-\S+)/.exec(r.stdout)![1]!.replace(/\)$/, '');
    const folder = join(dir, 'a', 'runs', runId);
    const metrics = JSON.parse(await readFile(join(folder, 'metrics.json'), 'utf8'));
    expect(metrics.official_scale.drift.drift).toBe(true);
    expect(metrics.official_scale.drift.n).toBe(40);
    expect(metrics.official_scale.drift.mean_shift).toBeGreaterThan(0.2);
    expect(metrics.warnings.some((w: string) => w.startsWith('judge drift:'))).toBe(true);
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest.results.judge_drift).toBe('drift');
    expect(manifest.stages.aggregate.details.warnings.some((w: string) => w.startsWith('judge drift:'))).toBe(true);
  });
});
