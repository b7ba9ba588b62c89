import { describe, expect, it } from 'vitest';
import { buildHistoryModel, historyKey, pairKey, type HistoryRunInput } from '../../../lambdas/core/report/history-model.ts';
import { renderHistoryPage } from '../../../lambdas/core/report/history-page.ts';

function run(id: string, createdAt: string, prefs: (number | null)[] | null, extra: Partial<HistoryRunInput> = {}): HistoryRunInput {
  return {
    runId: id, createdAt, model: 'org/m', name: 'm', revision: `rev-${id}`, status: prefs ? 'succeeded' : 'failed',
    metrics: prefs ? { lc: 10, lcSe: 1, winRate: 10, winRateSe: 1, nTotal: prefs.length, avgLength: 100 } : null,
    costUsd: 1, settings: 'judge x', reportHref: prefs ? `../${id}/index.html` : null,
    preferences: prefs ? prefs.map((p, i) => ({ instruction: `q${i}`, preference: p })) : null, ...extra,
  };
}

describe('history-model', () => {
  describe('historyKey', () => {
    it('turns a model id into one safe path segment', () => {
      expect(historyKey('W-61/hh-llama32-1b-sft')).toBe('W-61-hh-llama32-1b-sft');
      expect(historyKey('../../etc')).toBe('etc');
      expect(historyKey('///')).toBe('model');
    });
  });

  describe('buildHistoryModel', () => {
    it('takes the verdict from the paired LC bootstrap when given (interval vs 0), else from the raw tests; the page shows ΔLC and the intervals', () => {
      const runs = [
        run('a', '2026-01-01', [1.2, 1.4, 1.5, 1.1]),
        run('b', '2026-02-01', [1.9, 1.8, 1.9, 1.7], { metrics: { lc: 12, lcSe: 1, winRate: 12, winRateSe: 1, nTotal: 4, avgLength: 100, lcCi95: [9.5, 14.25], winRateCi95: [8, 16] } }),
        run('c', '2026-03-01', [1.9, 1.8, 1.9, 1.8]),
      ];
      const lcComparisons = new Map([
        [pairKey('a', 'b'), { delta: -0.5, ci95: [-2.5, 1.5] as [number, number], p: 0.61, replicates: 1000 }],
        [pairKey('b', 'c'), { delta: 3, ci95: [0.25, 5.5] as [number, number], p: 0.02, replicates: 1000 }],
      ]);
      const h = buildHistoryModel({ model: 'org/m', runs, lcComparisons });
      expect(h.comparisons.map((c) => c.verdict)).toEqual(['no change', 'better']);
      expect(h.comparisons[0]!.lc?.ci95).toEqual([-2.5, 1.5]);
      const worse = buildHistoryModel({ model: 'org/m', runs, lcComparisons: new Map([[pairKey('a', 'b'), { delta: -3, ci95: [-5, -0.1] as [number, number], p: 0.01, replicates: 1000 }]]) });
      expect(worse.comparisons[0]!.verdict).toBe('worse');
      expect(worse.comparisons[1]!.lc).toBeNull();
      const page = renderHistoryPage(h);
      expect(page).toContain('<td class="n">-0.50</td><td class="n">[-2.50, 1.50]</td><td class="n">0.6100</td>');
      expect(page).toContain('no detectable LC change: the 95 % interval of ΔLC contains 0');
      expect(page).toContain('better: the 95 % interval of ΔLC is above 0');
      expect(page).toContain('<span class="small">[9.50, 14.25]</span>');
      expect(page).toContain('"lcCi":[9.5,14.25]');
    });

    it('orders runs by date and compares consecutive finished runs, skipping a failed one in between', () => {
      const h = buildHistoryModel({
        model: 'org/m',
        runs: [
          run('c', '2026-03-01', [1.5, 1.9, 1.6]),
          run('a', '2026-01-01', [1.2, 1.4, 1.5]),
          run('b', '2026-02-01', null),
          run('d', '2026-04-01', [1.5, 1.9, 1.6], { settings: 'judge y' }),
        ],
      });
      expect(h.runs.map((r) => r.runId)).toEqual(['a', 'b', 'c', 'd']);
      expect(h.runs[0]!.checkpoint).toBe('rev-a');
      expect(h.comparisons.map((c) => `${c.from}>${c.to}`)).toEqual(['a>c', 'c>d']);
      // a → c: differences 30, 50, 10 points: mean 30, sd 20, t = 30 / (20/√3) = 2.598, ν = 2 → p = 1 − t/√(2 + t²)
      const ac = h.comparisons[0]!;
      expect(ac.result.tTest.mean).toBeCloseTo(30, 10);
      const t = 30 / (20 / Math.sqrt(3));
      expect(ac.result.tTest.p).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
      expect(ac.significant).toBe(false);
      expect(ac.verdict).toBe('no change');
      expect(ac.sameSettings).toBe(true);
      // c → d: identical preferences, other settings
      expect(h.comparisons[1]).toMatchObject({ sameSettings: false, significant: false, result: { tTest: { mean: 0, p: 1 } } });
    });

    it('calls a consistent change over many instructions significant', () => {
      const base = Array.from({ length: 100 }, (_, i) => 1.2 + (i % 10) / 100);
      const h = buildHistoryModel({ model: 'org/m', runs: [run('a', '1', base), run('b', '2', base.map((p, i) => p + (i % 3 === 0 ? 0 : 0.1)))] });
      expect(h.comparisons[0]!).toMatchObject({ significant: true, verdict: 'better' });
      expect(h.comparisons[0]!.result.signTest).toMatchObject({ better: 66, worse: 0, equal: 34 });
    });

    it('says the tests disagree when most instructions improve a little and a few drop a lot', () => {
      // 90 rows +1 point, 10 rows −20: sign test 90 vs 10 (p ≈ 1e-16), mean −1.1 with SE ≈ 0.63 (t ≈ −1.74, p ≈ 0.09)
      const base = Array.from({ length: 100 }, () => 1.5);
      const next = base.map((p, i) => (i < 90 ? p + 0.01 : p - 0.2));
      const c = buildHistoryModel({ model: 'org/m', runs: [run('a', '1', base), run('b', '2', next)] }).comparisons[0]!;
      expect(c.result.signTest.p).toBeLessThan(1e-10);
      expect(c.result.tTest.p).toBeGreaterThan(0.05);
      expect(c.verdict).toBe('mixed');
    });
  });

  describe('renderHistoryPage', () => {
    it('lists every run with its report link and escapes run text', () => {
      const h = buildHistoryModel({ model: 'org/<b>m</b>', runs: [run('a', '2026-01-01', [1.2]), run('x"><script>', '2026-01-02', null)] });
      const html = renderHistoryPage(h);
      expect(html).toContain('href="../a/index.html"');
      expect(html).toContain('org/&lt;b&gt;m&lt;/b&gt;');
      expect(html).not.toContain('x"><script>');
      expect(html).toContain('id="history-tests-none"');
      expect(html).toContain('id="no-charts"');
    });
  });
});
