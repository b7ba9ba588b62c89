import { describe, expect, it } from 'vitest';
import { workerRunner } from '../../lambdas/adapters/bootstrap-workers.ts';
import type { AnnotationRow } from '../../lambdas/core/annotations.ts';
import { armForModel } from '../../lambdas/core/metrics/glm/bootstrap.ts';
import { parseGamedTable } from '../../lambdas/core/metrics/glm/gamed-table.ts';
import { lengthControlledWinRate } from '../../lambdas/core/metrics/glm/length-controlled.ts';
import { compareModels, fittedOf, inThreadRunner, matchInstructions, modelIntervals } from '../../lambdas/services/lc-bootstrap.ts';
import { needFixtures, readFixtureJson, readFixtureText } from '../support/fixtures.ts';

const GAMED = 'standin/df_gamed.csv';
const ann = (m: string) => `annotations/${m}.annotations.json.gz`;

function load(model: string) {
  const gamed = parseGamedTable(readFixtureText(GAMED), 'df_gamed.csv');
  const rows = readFixtureJson<AnnotationRow[]>(ann(model));
  return { gamed, rows, lc: lengthControlledWinRate({ annotations: rows, gamed }, { sensitivity: false }) };
}

describe('LC bootstrap service', () => {
  it('worker threads give exactly the in-thread replicate values (3 threads, real workers)', async (ctx) => {
    needFixtures(ctx, GAMED, ann('phi-2'));
    const { gamed, rows, lc } = load('phi-2');
    const plan = { nInstructions: rows.length, seed: 9, solver: 'newton' as const, arms: [armForModel(rows, gamed, lc)] };
    const here = await inThreadRunner.run(plan, 90);
    const there = await workerRunner(3).run(plan, 90);
    expect(Array.from(there.lc[0]!)).toEqual(Array.from(here.lc[0]!));
    expect(Array.from(there.winRate[0]!)).toEqual(Array.from(here.winRate[0]!));
  });

  it('puts the LC point estimate inside its interval, which is wider than the official ±1.96·lc_standard_error', async (ctx) => {
    needFixtures(ctx, GAMED, ann('phi-2'));
    const { gamed, rows, lc } = load('phi-2');
    const r = await modelIntervals(rows, gamed, lc, { replicates: 300, runner: inThreadRunner });
    const [lo, hi] = r.length_controlled_winrate_ci95;
    expect(lo).toBeLessThan(lc.lengthControlledWinrate);
    expect(hi).toBeGreaterThan(lc.lengthControlledWinrate);
    expect(hi - lo).toBeGreaterThan(2 * 1.96 * lc.lcStandardError);
    expect(r.bootstrap).toMatchObject({ replicates: 300, resampled: 'instructions', C: lc.C });
  });

  it('a model against itself: ΔLC 0, interval [0, 0], p = 1, no detectable difference', async (ctx) => {
    needFixtures(ctx, GAMED, ann('phi-2'));
    const { gamed, rows, lc } = load('phi-2');
    const m = { rows, lc: fittedOf(lc), name: 'phi-2', file: 'a.json' };
    const r = await compareModels(m, { ...m, file: 'b.json' }, gamed, { replicates: 50, runner: inThreadRunner });
    expect(r.delta_length_controlled_winrate).toBe(0);
    expect(r.ci95).toEqual([0, 0]);
    expect(r.p_value).toBe(1);
    expect(r.verdict).toBe('no detectable difference');
    expect(r.shared).toBe(rows.length);
  });

  it('calls a large, real difference (gpt-3.5-turbo-1106 vs alpaca-7b) better, with a small p-value', async (ctx) => {
    needFixtures(ctx, GAMED, ann('alpaca-7b'), ann('gpt-3.5-turbo-1106'));
    const a = load('alpaca-7b');
    const b = load('gpt-3.5-turbo-1106');
    const r = await compareModels(
      { rows: a.rows, lc: fittedOf(a.lc), name: 'a', file: 'a.json' }, { rows: b.rows, lc: fittedOf(b.lc), name: 'b', file: 'b.json' }, a.gamed,
      { replicates: 200, runner: inThreadRunner },
    );
    expect(r.delta_length_controlled_winrate).toBeCloseTo(b.lc.lengthControlledWinrate - a.lc.lengthControlledWinrate, 12);
    expect(r.ci95[0]).toBeGreaterThan(0);
    expect(r.ci95[0]).toBeLessThan(r.delta_length_controlled_winrate);
    expect(r.p_value).toBeLessThan(0.01);
    expect(r.verdict).toBe('better');
    expect(r.paired.tTest.mean).toBeGreaterThan(0);
  });

  it('matches rows by instruction, occurrence by occurrence, and refuses two runs with nothing in common', () => {
    const a = [{ instruction: 'x' }, { instruction: 'y' }, { instruction: 'x' }];
    expect(matchInstructions(a, [{ instruction: 'x' }, { instruction: 'x' }, { instruction: 'z' }], 'b.json')).toEqual([0, 2, -1]);
    expect(() => matchInstructions(a, [{ instruction: 'q' }], 'b.json')).toThrow(/^b\.json, field "instruction": no instruction in common/);
  });
});
