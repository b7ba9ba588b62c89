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
    const glm = JSON.parse(await readFile(join(out, 'lc_glm.json'), 'utf8'));
    expect(glm.glm_preference).toHaveLength(805);
    expect(glm.C).toBe(readFixtureJson<{ glm: { C: number } }>(FILES.golden).glm.C);
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
});
