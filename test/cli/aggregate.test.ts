import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { needFixtures, readFixtureJson } from '../support/fixtures.ts';

const MODEL = 'FuseChat-Llama-3.2-1B-Instruct';
const FILES = {
  annotations: `annotations/${MODEL}.annotations.json.gz`,
  outputs: `outputs/${MODEL}.model_outputs.json.gz`,
  gamed: 'standin/df_gamed.csv',
  difficulty: 'standin/instruction_difficulty.csv',
  leaderboard: 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv',
  golden: `golden/${MODEL}.json`,
};
const OFFICIAL = ['win_rate', 'standard_error', 'n_wins', 'n_wins_base', 'n_draws', 'n_total', 'discrete_win_rate', 'avg_length', 'length_controlled_winrate', 'lc_standard_error'];

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aep-agg-'));
}

describe('aep aggregate', () => {
  it('prints one JSON object with the ten official metrics equal to the golden values, and writes the outputs', async (ctx) => {
    // Prepare
    const [ann, outs, gamed, diff, lb] = needFixtures(ctx, FILES.annotations, FILES.outputs, FILES.gamed, FILES.difficulty, FILES.leaderboard, FILES.golden);
    const out = await tmp();
    // Act
    const r = await runAep(['aggregate', '--annotations', ann!, '--model-outputs', outs!, '--gamed', gamed!, '--instruction-difficulty', diff!,
      '--leaderboard', lb!, '--name', 'my-sft', '--out', out, '--json', '--cache-dir', await tmp()]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const m = JSON.parse(lines[0]!) as Record<string, number>;
    const g = readFixtureJson<{ metrics: Record<string, number> }>(FILES.golden).metrics;
    for (const k of OFFICIAL) expect(Math.abs(m[k]! - g[k]!), k).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(g[k]!)));
    const csv = await readFile(join(out, 'leaderboard.csv'), 'utf8');
    expect(csv.split('\n').some((l) => l.startsWith('my-sft,29.92'))).toBe(true);
    const written = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(written.assets['instruction-difficulty'].agrees_with_gamed).toBe(true);
    expect(written.assets.leaderboard.matchesPin).toBe(true);
    expect(written.lc_sensitivity.band[0]).toBeLessThanOrEqual(written.length_controlled_winrate);
    // bootstrap intervals (on by default): around the point estimates, as trailing leaderboard columns
    const [lo, hi] = written.length_controlled_winrate_ci95;
    expect(lo).toBeLessThan(written.length_controlled_winrate);
    expect(hi).toBeGreaterThan(written.length_controlled_winrate);
    expect(written.win_rate_ci95[0]).toBeLessThan(written.win_rate);
    expect(m.length_controlled_winrate_ci95).toEqual(written.length_controlled_winrate_ci95);
    expect(written.bootstrap).toMatchObject({ replicates: 1000, resampled: 'instructions' });
    const header = csv.split('\n')[0]!.split(',');
    expect(header.slice(1, 12)).toEqual(['win_rate', 'standard_error', 'n_wins', 'n_wins_base', 'n_draws', 'n_total', 'discrete_win_rate', 'mode', 'avg_length', 'length_controlled_winrate', 'lc_standard_error']);
    expect(header.slice(-4)).toEqual(['length_controlled_winrate_ci95_low', 'length_controlled_winrate_ci95_high', 'win_rate_ci95_low', 'win_rate_ci95_high']);
    const mine = csv.split('\n').find((l) => l.startsWith('my-sft,'))!.split(',');
    expect(Number(mine.at(-4))).toBe(lo);
    const glm = JSON.parse(await readFile(join(out, 'lc_glm.json'), 'utf8'));
    expect(glm.glm_preference).toHaveLength(805);
    expect(glm.C).toBe(readFixtureJson<{ glm: { C: number } }>(FILES.golden).glm.C);
  });

  it('--bootstrap 0 turns the intervals off: null in metrics.json, no extra leaderboard columns; the text shows the interval when on', async (ctx) => {
    const [ann, gamed, lb] = needFixtures(ctx, FILES.annotations, FILES.gamed, FILES.leaderboard);
    const out = await tmp();
    const off = await runAep(['aggregate', '--annotations', ann!, '--gamed', gamed!, '--leaderboard', lb!, '--name', 'x', '--out', out, '--bootstrap', '0', '--cache-dir', await tmp()], { env: { AEP_OFFLINE: '1' } });
    expect(off.code, off.stderr).toBe(0);
    const written = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(written.length_controlled_winrate_ci95).toBeNull();
    expect(written.bootstrap).toBeNull();
    expect((await readFile(join(out, 'leaderboard.csv'), 'utf8')).split('\n')[0]).not.toContain('ci95');
    expect(off.stdout).not.toContain('95% CI');
    const on = await runAep(['aggregate', '--annotations', ann!, '--gamed', gamed!, '--leaderboard', lb!, '--name', 'x', '--out', await tmp(), '--bootstrap', '200', '--cache-dir', await tmp()], { env: { AEP_OFFLINE: '1' } });
    expect(on.stdout).toMatch(/length-controlled win rate {2}\d+\.\d\d {2}95% CI \[\d+\.\d\d, \d+\.\d\d\]/);
    const bad = await runAep(['aggregate', '--annotations', ann!, '--bootstrap', '-3']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--bootstrap/);
  });

  it('says which flag supplies df_gamed.csv when offline with an empty cache', async (ctx) => {
    const [ann, lb] = needFixtures(ctx, FILES.annotations, FILES.leaderboard);
    const r = await runAep(['aggregate', '--annotations', ann!, '--leaderboard', lb!, '--out', await tmp(), '--cache-dir', await tmp()], { env: { AEP_OFFLINE: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^aep aggregate: df_gamed\.csv .* supply a local copy with --gamed PATH \(or AEP_GAMED\)$/);
  });

  it('names the file, row and field of a bad annotation and exits non-zero', async () => {
    const dir = await tmp();
    const bad = join(dir, 'annotations.json');
    await writeFile(bad, JSON.stringify([{ instruction: 'x', output_1: 'a', output_2: 'b', generator_1: 'r', generator_2: 'm', preference: 7 }]));
    const r = await runAep(['aggregate', '--annotations', bad, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`aep aggregate: ${bad}, row 1, field "preference": 7 is outside [1, 2] (allowed: 1..2, 0 for a legacy tie, null)`);
  });

  it('reports a missing input file in one line', async () => {
    const r = await runAep(['aggregate', '--annotations', '/nonexistent/a.json']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('aep aggregate: /nonexistent/a.json: cannot read the file (ENOENT)');
  });

  it('shows help', async () => {
    const r = await runAep(['aggregate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--instruction-difficulty <path|url>');
  });

  it('names the judge and its scale, and keeps another judge\'s uncalibrated numbers off the official board', async (ctx) => {
    // Prepare: FuseChat's rows as a judge other than the leaderboard's would have written them
    const [ann, gamed, lb] = needFixtures(ctx, FILES.annotations, FILES.gamed, FILES.leaderboard);
    const rows = readFixtureJson<Record<string, unknown>[]>(FILES.annotations)
      .map((r) => ({ ...r, annotator: 'gpt4.1', judge_model_snapshot: 'gpt-4.1-2025-04-14' }));
    const dir = await tmp();
    await writeFile(join(dir, 'annotations.json'), JSON.stringify(rows));
    // Act
    const official = await runAep(['aggregate', '--annotations', ann!, '--gamed', gamed!, '--leaderboard', lb!, '--name', 'my-sft', '--bootstrap', '0',
      '--out', join(dir, 'a'), '--json', '--cache-dir', dir]);
    const other = await runAep(['aggregate', '--annotations', join(dir, 'annotations.json'), '--gamed', gamed!, '--leaderboard', lb!, '--name', 'my-sft',
      '--bootstrap', '0', '--out', join(dir, 'b'), '--cache-dir', dir]);
    // Assess
    expect(official.code, official.stderr).toBe(0);
    expect(JSON.parse(official.stdout).judge).toEqual({
      preset: 'weighted_alpaca_eval_gpt4_turbo', model: 'gpt-4-1106-preview', snapshots: {}, parser: 'logprob', scale: 'alpaca_eval_2',
    });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toMatch(/judge +gpt4\.1 \(answered by gpt-4\.1-2025-04-14\) — numbers above are on this judge's scale \(judge:gpt-4\.1-2025-04-14\)/);
    expect(other.stdout).toMatch(/official-scale estimate +none: no calibration for this judge/);
    expect(other.stderr).toMatch(/not added to the official leaderboard/);
    const metrics = JSON.parse(await readFile(join(dir, 'b', 'metrics.json'), 'utf8'));
    expect(metrics.leaderboard).toEqual({ size: 223, added: false, scale: 'alpaca_eval_2' });
    expect(await readFile(join(dir, 'b', 'leaderboard.csv'), 'utf8')).not.toContain('my-sft,');
  });
});

