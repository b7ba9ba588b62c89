import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { distortedBoard } from '../support/judge-board.ts';
import { runAep } from '../support/cli.ts';
import { needFixtures } from '../support/fixtures.ts';

const LB = 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv';
const GAMED = 'standin/df_gamed.csv';
const MODEL = 'FuseChat-Llama-3.2-1B-Instruct';
const ANN = `annotations/${MODEL}.annotations.json.gz`;
const OUTS = `outputs/${MODEL}.model_outputs.json.gz`;

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aep-cal-'));
}

describe('aep calibrate --from-leaderboard', () => {
  it('fits the bridge with no judge spend; held-out models come back inside their stated interval; --json has the agreed shape', async (ctx) => {
    // Prepare
    const [lb] = needFixtures(ctx, LB);
    const dir = await tmp();
    const { csv, official } = distortedBoard(readFileSync(lb!, 'utf8'));
    await writeFile(join(dir, 'x-board.csv'), csv);
    // Act
    const r = await runAep(['calibrate', '--judge', 'judge-x', '--from-leaderboard', join(dir, 'x-board.csv'), '--leaderboard', lb!, '--out', dir, '--json', '--cache-dir', await tmp()]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { judge: string; models: Record<string, any>[] };
    expect(j.judge).toBe('judge:judge-x');
    const panel = j.models.filter((m) => m.official_lc !== undefined);
    expect(panel).toHaveLength(official.size);
    let covered = 0;
    for (const m of panel) {
      expect(m.official_lc).toBeCloseTo(official.get(m.name)!, 9);
      expect(m.loo_interval[0]).toBeLessThanOrEqual(m.loo_predicted_lc);
      if (m.official_lc >= m.loo_interval[0] && m.official_lc <= m.loo_interval[1]) covered++;
      // the bridge undoes the squash: the held-out prediction is much closer than the judge's own number
      expect(Math.abs(m.loo_predicted_lc - m.official_lc)).toBeLessThan(4);
    }
    expect(covered).toBeGreaterThanOrEqual(panel.length - 1);
    const mine = j.models.find((m) => m.name === 'my-checkpoint')!;
    expect(mine.official_lc).toBeUndefined();
    expect(mine.interval[0]).toBeLessThan(mine.predicted_lc);
    expect(mine.interval[1]).toBeGreaterThan(mine.predicted_lc);
    const written = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8'));
    expect(written.source.kind).toBe('leaderboard');
    expect(written.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(written.loo.lc).toHaveLength(official.size);
  });

  it('names the file, row and field of a bad leaderboard cell', async (ctx) => {
    const [lb] = needFixtures(ctx, LB);
    const dir = await tmp();
    const { csv } = distortedBoard(readFileSync(lb!, 'utf8'));
    const bad = csv.split('\n');
    const cells = bad[3]!.split(',');
    cells[bad[0]!.split(',').indexOf('length_controlled_winrate')] = 'abc';
    bad[3] = cells.join(',');
    await writeFile(join(dir, 'bad.csv'), bad.join('\n'));
    const r = await runAep(['calibrate', '--judge', 'judge-x', '--from-leaderboard', join(dir, 'bad.csv'), '--leaderboard', lb!, '--out', dir, '--cache-dir', await tmp()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.csv.*row 4.*length_controlled_winrate/);
  });
});

describe('aep aggregate --calibration', () => {
  it('adds the official-scale estimate with its interval; the leaderboard row carries the estimate; the official judge is refused', async (ctx) => {
    // Prepare: a calibration of judge-x, and FuseChat's annotations relabelled as judged by judge-x
    const [lb, gamed, ann, outs] = needFixtures(ctx, LB, GAMED, ANN, OUTS);
    const dir = await tmp();
    const { csv } = distortedBoard(readFileSync(lb!, 'utf8'));
    await writeFile(join(dir, 'x-board.csv'), csv);
    const cal = await runAep(['calibrate', '--judge', 'judge-x', '--from-leaderboard', join(dir, 'x-board.csv'), '--leaderboard', lb!, '--out', dir, '--cache-dir', await tmp()]);
    expect(cal.code, cal.stderr).toBe(0);
    const rows = JSON.parse(gunzipSync(readFileSync(ann!)).toString('utf8')) as Record<string, unknown>[];
    await writeFile(join(dir, 'x-annotations.json'), JSON.stringify(rows.map((r) => ({ ...r, annotator: 'judge-x' }))));
    const common = ['--model-outputs', outs!, '--gamed', gamed!, '--leaderboard', lb!, '--name', 'my-sft', '--calibration', join(dir, 'calibration.json'), '--cache-dir', await tmp()];
    // Act
    const r = await runAep(['aggregate', '--annotations', join(dir, 'x-annotations.json'), ...common, '--out', join(dir, 'agg'), '--json']);
    const official = await runAep(['aggregate', '--annotations', ann!, ...common, '--out', join(dir, 'agg2')]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    const s = m.official_scale;
    expect(s.interval[0]).toBeLessThan(s.length_controlled_winrate);
    expect(s.interval[1]).toBeGreaterThan(s.length_controlled_winrate);
    expect(s.calibration.judge).toBe('judge:judge-x');
    expect(s.calibration.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.length_controlled_winrate).not.toBeCloseTo(m.length_controlled_winrate, 3);
    const board = await readFile(join(dir, 'agg', 'leaderboard.csv'), 'utf8');
    const row = board.split('\n').find((l) => l.startsWith('my-sft,'))!;
    expect(row).toContain(String(s.length_controlled_winrate).slice(0, 8));
    expect(row).toContain('community-official-scale-estimate');
    expect(official.code).toBe(1);
    expect(official.stderr).toMatch(/calibration\.json.*already on the official scale/);
  });
});

describe('aep calibrate --judge gpt5_nano --from-leaderboard (the shipped calibration)', () => {
  it('builds from the gpt-5-nano board asset (here a local stand-in given by --nano-leaderboard) and records its hash', async (ctx) => {
    const [lb] = needFixtures(ctx, LB);
    const dir = await tmp();
    const { csv } = distortedBoard(readFileSync(lb!, 'utf8'));
    await writeFile(join(dir, 'nano.csv'), csv);
    const r = await runAep(['calibrate', '--judge', 'gpt5_nano', '--from-leaderboard', '--nano-leaderboard', join(dir, 'nano.csv'), '--leaderboard', lb!, '--out', dir, '--cache-dir', await tmp()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/leave-one-model-out: RMSE \d+\.\d\d LC points; \d+ of 13 panel models inside/);
    const doc = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8'));
    expect(doc.assets['gpt5-nano-leaderboard'].sha256).toBe(doc.source.sha256);
    expect(doc.judge.preset).toBe('gpt5_nano');
    const other = await runAep(['calibrate', '--judge', 'judge-x', '--from-leaderboard', '--leaderboard', lb!, '--out', dir, '--cache-dir', await tmp()]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/without a CSV uses the public board of the gpt5_nano judge only/);
  });
});
