import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expit, logit } from '../../lambdas/core/calibration/bridge.ts';
import { formatLeaderboard, parseLeaderboard } from '../../lambdas/core/report/leaderboard.ts';
import { runAep } from '../support/cli.ts';
import { needFixtures, readFixtureJson, readFixtureText } from '../support/fixtures.ts';

const LEADERBOARD = 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv';
const GAMED = 'standin/df_gamed.csv';
const MODEL = 'gemma-2b-it';
const ANNOTATIONS = `annotations/${MODEL}.annotations.json.gz`;
const PANEL = ['alpaca-7b', 'vicuna-7b', 'falcon-7b-instruct', 'phi-2', 'Qwen-14B-Chat', 'claude-2.1', 'gpt-3.5-turbo-1106',
  'Mixtral-8x7B-Instruct-v0.1', 'Yi-34B-Chat', 'gpt4', 'llama-2-70b-chat-hf', 'tulu-2-dpo-70b'];

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aep-cal-'));
}

/** A leaderboard "judged by X": the official one's panel rows with LC and win rate squashed in log-odds, plus the baseline. */
function judgeBoard(): string {
  const official = parseLeaderboard(readFixtureText(LEADERBOARD), LEADERBOARD);
  const keep = official.rows.filter((r) => r.name === 'gpt4_1106_preview' || PANEL.includes(r.name)).map((r, i) => {
    const squash = (v: string) => String(r.name === 'gpt4_1106_preview' ? 50 : expit(0.4 + 0.7 * logit(Number(v)) + 0.05 * Math.sin(i * 7)));
    return { name: r.name, cells: { ...r.cells, length_controlled_winrate: squash(r.cells.length_controlled_winrate!), win_rate: squash(r.cells.win_rate!) } };
  });
  return formatLeaderboard({ columns: official.columns, rows: keep });
}

describe('aep calibrate', () => {
  it('builds calibration.json from a leaderboard of the judge, with held-out checks, and --json names judge and models', async (ctx) => {
    const [lb] = needFixtures(ctx, LEADERBOARD);
    const dir = await tmp();
    await writeFile(join(dir, 'x.csv'), judgeBoard());
    const r = await runAep(['calibrate', '--from-leaderboard', join(dir, 'x.csv'), '--judge', 'gpt5_nano', '--leaderboard', lb!,
      '--out', join(dir, 'calibration.json'), '--json', '--cache-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { judge: { name: string }; models: Record<string, any>[]; lc: { loo_coverage: number; map: { n: number } } };
    expect(doc.judge.name).toBe('gpt5_nano');
    expect(doc.lc.map.n).toBe(PANEL.length);
    expect(doc.models).toHaveLength(PANEL.length);
    for (const m of doc.models) {
      expect(m).toHaveProperty('judge_lc');
      expect(m.interval[0]).toBeLessThanOrEqual(m.predicted_lc);
      expect(m.interval[1]).toBeGreaterThanOrEqual(m.predicted_lc);
      expect(Math.abs(m.loo_predicted_lc - m.official_lc)).toBeLessThan(5);
    }
    expect(doc.lc.loo_coverage).toBeGreaterThanOrEqual(10 / 12);
    expect(JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8'))).toEqual(doc);
  });

  it('refuses to calibrate without a named judge, and a judge without a public leaderboard without --from-leaderboard', async () => {
    const a = await runAep(['calibrate']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/aep calibrate: name the judge to calibrate with --judge PRESET or --judge-model NAME/);
    const b = await runAep(['calibrate', '--judge', 'gpt4.1']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/judge gpt4\.1 has no public leaderboard: give one judged by it with --from-leaderboard FILE/);
  });

  it('aep aggregate --calibration: another judge\'s numbers get the official-scale estimate, and the board holds one scale', async (ctx) => {
    const [lb, gamed] = needFixtures(ctx, LEADERBOARD, GAMED, ANNOTATIONS);
    const dir = await tmp();
    await writeFile(join(dir, 'x.csv'), judgeBoard());
    const cal = await runAep(['calibrate', '--from-leaderboard', join(dir, 'x.csv'), '--judge', 'gpt5_nano', '--leaderboard', lb!, '--out', join(dir, 'calibration.json')]);
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stdout).toMatch(/held out one model at a time: mean \|error\| [\d.]+ LC points, \d+\/12 official values inside/);
    // the gemma-2b-it rows as judge X would have written them
    const rows = readFixtureJson<Record<string, unknown>[]>(ANNOTATIONS).map((r) => ({ ...r, annotator: 'gpt5_nano', judge_model_snapshot: 'gpt-5-nano-2025-08-07', judge_parser: 'verdict' }));
    await writeFile(join(dir, 'annotations.json'), JSON.stringify(rows));
    const common = ['aggregate', '--annotations', join(dir, 'annotations.json'), '--gamed', gamed!, '--leaderboard', lb!, '--name', 'my-sft',
      '--bootstrap', '0', '--cache-dir', dir];
    const withCal = await runAep([...common, '--calibration', join(dir, 'calibration.json'), '--out', join(dir, 'a'), '--json']);
    expect(withCal.code, withCal.stderr).toBe(0);
    const m = JSON.parse(withCal.stdout);
    expect(m.judge).toEqual({ preset: 'gpt5_nano', model: 'gpt-5-nano', snapshots: { 'gpt-5-nano-2025-08-07': rows.length }, parser: 'verdict', scale: 'judge:gpt-5-nano-2025-08-07' });
    expect(m.official_scale.interval[0]).toBeLessThan(m.official_scale.length_controlled_winrate);
    expect(m.official_scale.interval[1]).toBeGreaterThan(m.official_scale.length_controlled_winrate);
    const board = (await readFile(join(dir, 'a', 'leaderboard.csv'), 'utf8')).split('\n');
    const mine = board.find((l) => l.startsWith('my-sft,'))!;
    expect(mine).toContain(',calibrated,');
    expect(mine).toContain(String(m.official_scale.length_controlled_winrate));
    // a judge without calibration: never on the official board
    const custom = rows.map((r) => ({ ...r, annotator: 'custom:my-judge' }));
    await writeFile(join(dir, 'custom.json'), JSON.stringify(custom));
    const without = await runAep([...common.slice(0, 1), '--annotations', join(dir, 'custom.json'), ...common.slice(3), '--out', join(dir, 'b')]);
    expect(without.code, without.stderr).toBe(0);
    expect(without.stdout).toMatch(/numbers above are on this judge's scale \(judge:gpt-5-nano-2025-08-07\)/);
    expect(without.stdout).toMatch(/official-scale estimate +none: no calibration for this judge/);
    expect(without.stderr).toMatch(/not added to the official leaderboard/);
    expect(await readFile(join(dir, 'b', 'leaderboard.csv'), 'utf8')).not.toContain('my-sft,');
  });
});

describe('the shipped gpt-5-nano calibration', () => {
  it('is built from the judge\'s public leaderboard when a gpt5_nano run has no --calibration', async (ctx) => {
    const [lb, gamed] = needFixtures(ctx, LEADERBOARD, GAMED, ANNOTATIONS);
    const dir = await tmp();
    // stands in for the pinned download of weighted_alpaca_eval_gpt5_nano_leaderboard.csv (no network in tests)
    await writeFile(join(dir, 'nano.csv'), judgeBoard());
    const rows = readFixtureJson<Record<string, unknown>[]>(ANNOTATIONS).map((r) => ({ ...r, annotator: 'gpt5_nano' }));
    await writeFile(join(dir, 'annotations.json'), JSON.stringify(rows));
    const r = await runAep(['aggregate', '--annotations', join(dir, 'annotations.json'), '--gamed', gamed!, '--leaderboard', lb!, '--name', 'my-sft',
      '--bootstrap', '0', '--cache-dir', dir, '--out', join(dir, 'o'), '--json'], { env: { AEP_GPT5_NANO_LEADERBOARD: join(dir, 'nano.csv') } });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.judge.scale).toBe('judge:gpt-5-nano');
    expect(m.official_scale.calibration).toMatchObject({ judge: 'gpt5_nano', source: join(dir, 'nano.csv'), panel: 12 });
    expect(m.leaderboard.added).toBe(true);
  });
});
