import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { fixturePath, needFixtures } from '../support/fixtures.ts';

const A = 'annotations/alpaca-7b.annotations.json.gz';
const B = 'annotations/alpaca-7b_verbose.annotations.json.gz';
const GAMED = 'standin/df_gamed.csv';
const DIFF = 'standin/instruction_difficulty.csv';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aep-cmp-'));
}

describe('aep compare', () => {
  it('prints ΔLC with its interval and p-value as JSON; a run folder works as well as a file; the page is self-contained', async (ctx) => {
    // Prepare: B given as a run folder holding annotations.json
    const [a, b, gamed, diff] = needFixtures(ctx, A, B, GAMED, DIFF);
    const dir = await tmp();
    const run = join(dir, 'run-b');
    await mkdir(run);
    await writeFile(join(run, 'annotations.json'), gunzipSync(await readFile(b!)));
    const html = join(dir, 'cmp.html');
    // Act
    const r = await runAep(['compare', '--a', a!, '--b', run, '--gamed', gamed!, '--instruction-difficulty', diff!, '--bootstrap', '300',
      '--json', '--html', html, '--cache-dir', join(dir, 'cache')], { env: { AEP_OFFLINE: '1' } });
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.delta_length_controlled_winrate).toBeCloseTo(out.b.length_controlled_winrate - out.a.length_controlled_winrate, 12);
    expect(out.ci95[0]).toBeLessThanOrEqual(out.delta_length_controlled_winrate);
    expect(out.ci95[1]).toBeGreaterThanOrEqual(out.delta_length_controlled_winrate);
    expect(out.p_value).toBeGreaterThan(0);
    expect(out.p_value).toBeLessThanOrEqual(1);
    expect(out.verdict).toBe(out.ci95[0] > 0 ? 'better' : out.ci95[1] < 0 ? 'worse' : 'no detectable difference');
    expect(out.paired.tTest.n).toBeGreaterThan(700);
    expect(out.what_changed.length.avgB).toBeGreaterThan(out.what_changed.length.avgA); // the verbose variant is longer
    expect(out.what_changed.flips).toBeUndefined();
    expect(out.assets['instruction-difficulty'].agrees_with_gamed).toBe(true);
    expect(r.stderr).toMatch(/warning: only \d+ instructions are shared/);
    const page = await readFile(html, 'utf8');
    expect(page).toContain("Content-Security-Policy");
    expect(page).toContain('id="flip-list"');
    expect(page).not.toMatch(/<script src=/);
  });

  it('answers in text with the verdict line', async (ctx) => {
    const [a, gamed] = needFixtures(ctx, A, GAMED);
    const r = await runAep(['compare', '--a', a!, '--b', a!, '--gamed', gamed!, '--bootstrap', '50', '--cache-dir', await tmp()], { env: { AEP_OFFLINE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ΔLC \(B − A\) +\+0\.00 {2}95% CI \[0\.00, 0\.00\] {2}p = 1\.000/);
    expect(r.stdout).toContain('verdict: no detectable difference in LC');
  });

  it('names the file of bad input and refuses --bootstrap 0', async () => {
    const dir = await tmp();
    const bad = join(dir, 'a.json');
    await writeFile(bad, JSON.stringify([{ instruction: 'x', output_1: 'a', output_2: 'b', generator_1: 'r', generator_2: 'm', preference: 9 }]));
    const r = await runAep(['compare', '--a', bad, '--b', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`aep compare: ${bad}, row 1, field "preference": 9 is outside [1, 2] (allowed: 1..2, 0 for a legacy tie, null)`);
    const zero = await runAep(['compare', '--a', fixturePath(A) ?? bad, '--b', bad, '--bootstrap', '0']);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('--bootstrap must be at least 1');
  });
});
