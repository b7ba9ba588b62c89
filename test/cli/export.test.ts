import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { missingFixtures, missingMessage } from '../support/fixtures.ts';
import { fixtureAnnotations, RUN_FOLDER_FIXTURES, writeRunFolder, type BuiltRun } from '../report/run-folder.ts';

const NEEDED = [...RUN_FOLDER_FIXTURES, 'annotations/alpaca-7b.annotations.json.gz'];
const missing = missingFixtures(...NEEDED);
if (missing.length) console.warn(`[skip] aep export tests: ${missingMessage(missing)}`);

let dir: string;
let run: BuiltRun;
let failed: BuiltRun;
let metrics: Record<string, unknown>;

beforeAll(async () => {
  if (missing.length) return;
  dir = await mkdtemp(join(tmpdir(), 'aep-cli-export-'));
  run = await writeRunFolder(dir, { config: { model: 'tatsu-lab/alpaca-7b', name: 'alpaca-7b', revision: 'abc123' }, annotations: fixtureAnnotations('alpaca-7b') });
  failed = await writeRunFolder(dir, { config: { model: 'org/broken' }, annotations: [], failed: true });
  metrics = JSON.parse(await readFile(join(dir, run.prefix, 'metrics.json'), 'utf8')) as Record<string, unknown>;
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing.length > 0)('aep export', () => {
  it('prints the model-index block with the run\'s LC and raw win rates, judge, scale, eval-set revision and date', async () => {
    const r = await runAep(['export', run.runId, '--store', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lc = Number((metrics.length_controlled_winrate as number).toFixed(4));
    const wr = Number((metrics.win_rate as number).toFixed(4));
    expect(r.stdout).toMatch(/^model-index:\n {2}- name: "alpaca-7b"\n/);
    expect(r.stdout).toContain(`- type: length_controlled_winrate\n          name: "AlpacaEval 2.0 LC win rate"\n          value: ${lc}\n`);
    expect(r.stdout).toContain(`- type: win_rate\n          name: "AlpacaEval 2.0 win rate"\n          value: ${wr}\n`);
    expect(r.stdout).toContain('judge: "weighted_alpaca_eval_gpt4_turbo"');
    expect(r.stdout).toContain('revision: "test"');
    expect(r.stdout).toContain('2026-01-01');
    // the run folder's metrics carry bootstrap intervals: the block shows them
    const ci = metrics.length_controlled_winrate_ci95 as [number, number];
    expect(r.stdout).toContain(`ci95_low: ${Number(ci[0].toFixed(4))}`);
    expect(r.stdout).toContain('judge_scale: "alpaca_eval_2"');
  });

  it('adds the 95 % intervals when the metrics document has them, and writes the flat JSON record to --out', async () => {
    const path = join(dir, run.prefix, 'metrics.json');
    const original = await readFile(path, 'utf8');
    await writeFile(path, JSON.stringify({ ...metrics, length_controlled_winrate_ci95: [10.5, 14.25], win_rate_ci95: [4, 7.5] }));
    try {
      const yaml = await runAep(['export', join(dir, run.prefix)]);
      expect(yaml.code).toBe(0);
      expect(yaml.stdout).toMatch(/ci95_low: 10\.5\n +ci95_high: 14\.25\n/);
      expect(yaml.stdout).toMatch(/ci95_low: 4\n +ci95_high: 7\.5\n/);
      const out = join(dir, 'record.json');
      const json = await runAep(['export', run.runId, '--store', dir, '--format', 'json', '--out', out]);
      expect(json.code).toBe(0);
      const rec = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
      expect(rec['alpaca_eval2/lc_win_rate']).toBe(metrics.length_controlled_winrate);
      expect(rec['alpaca_eval2/win_rate']).toBe(metrics.win_rate);
      expect(rec['alpaca_eval2/lc_win_rate_ci95_low']).toBe(10.5);
      expect(rec['alpaca_eval2/win_rate_ci95_high']).toBe(7.5);
      expect(rec['alpaca_eval2/revision']).toBe('abc123');
      expect(rec['alpaca_eval2/run_id']).toBe(run.runId);
      expect(Object.values(rec).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))).toBe(true);
    } finally {
      await writeFile(path, original);
    }
  });

  it('names the run that did not get past aggregation, and the file of a damaged metrics document', async () => {
    const r = await runAep(['export', failed.runId, '--store', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/has no metrics\.json/);
    const path = join(dir, run.prefix, 'metrics.json');
    const original = await readFile(path, 'utf8');
    await writeFile(path, JSON.stringify({ ...metrics, win_rate: 'high' }));
    try {
      const bad = await runAep(['export', run.runId, '--store', dir]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('metrics.json, field "win_rate": missing or not a number');
    } finally {
      await writeFile(path, original);
    }
  });
});
