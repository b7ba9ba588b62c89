import { describe, expect, it } from 'vitest';
import { renderComparePage, type ComparePageInput } from '../../../lambdas/core/report/compare-page.ts';
import { comparePairedRuns } from '../../../lambdas/core/report/paired-test.ts';
import { whatChanged, type ChangeRow } from '../../../lambdas/core/report/what-changed.ts';

const row = (instruction: string, out: string, preference: number | null, dataset = 'koala'): ChangeRow =>
  ({ instruction, output_1: `ref ${instruction}`, output_2: out, preference, dataset });

describe('what changed between two checkpoints', () => {
  const a = [row('q1', 'aa', 1.2), row('q2', 'bbbb', 1.8), row('q3', 'c', 1.5, 'oasst'), row('q4', 'dd', 1.1, 'oasst'), row('q5', 'e', null)];
  const b = [row('q2', 'bbbbbb', 1.3), row('q1', 'aaaa', 1.9), row('q3', 'cc', 1.7, 'oasst'), row('q4', 'dddd', 1.6, 'oasst'), row('q6', 'zz', 2)];

  it('pairs rows by instruction: length drift, share of the raw change LC removes, per-dataset paired change, flips both ways', () => {
    const w = whatChanged(a, b, { winRate: 10, lc: 4 });
    // shared q1..q4 (q5 only in A, q6 only in B): A lengths 2,4,1,2 → 2.25; B 4,6,2,4 → 4
    expect(w.length.avgA).toBe(2.25);
    expect(w.length.avgB).toBe(4);
    expect(w.length.shareOfWinRateChange).toBeCloseTo(0.6, 12);
    expect(w.byDataset.map((d) => d.dataset)).toEqual(['koala', 'oasst']);
    const koala = comparePairedRuns([a[0]!, a[1]!], [b[1]!, b[0]!]);
    expect(w.byDataset[0]!.tTest).toEqual(koala.tTest);
    expect(w.byDataset[1]!.n).toBe(2);
    expect(w.flips.map((f) => `${f.instruction}:${f.direction}`).sort()).toEqual(['q1:win', 'q2:loss', 'q4:win']);
    expect(w.counts).toEqual({ toWin: 2, toLoss: 1 });
    const q1 = w.flips.find((f) => f.instruction === 'q1')!;
    expect([q1.reference, q1.outputA, q1.outputB]).toEqual(['ref q1', 'aa', 'aaaa']);
    expect(whatChanged(a, b, { winRate: 0, lc: 1 }).length.shareOfWinRateChange).toBeNull();
  });

  it('renders a self-contained page: model text only inside the JSON data block (escaped), CSP without network', () => {
    const evil = '</script><img src=x onerror=alert(1)>';
    const w = whatChanged([row(evil, evil, 1.1, evil)], [row(evil, 'x', 1.9, evil)], { winRate: 80, lc: 70 });
    const input: ComparePageInput = {
      a: { name: '<b>A</b>', length_controlled_winrate: 10, win_rate: 10 }, b: { name: 'B', length_controlled_winrate: 12, win_rate: 90 },
      shared: 1, delta_length_controlled_winrate: 2, ci95: [-1, 5], p_value: 0.3, delta_win_rate: 80, win_rate_ci95: [70, 90], win_rate_p_value: 0.01,
      paired: comparePairedRuns([{ instruction: 'x', preference: 1.1 }], [{ instruction: 'x', preference: 1.9 }]),
      verdict: 'no detectable difference', bootstrap: { replicates: 1000, seed: 1 }, what_changed: w, warnings: ['<i>w</i>'],
    };
    const html = renderComparePage(input);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>A</b>');
    expect(html).toContain('&lt;b&gt;A&lt;/b&gt;');
    expect(html).toContain('&lt;i&gt;w&lt;/i&gt;');
    expect(html).toContain('\\u003c/script\\u003e');
    expect(html).toMatch(/Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    expect(html).toContain('no detectable difference: the 95 % interval of ΔLC contains 0');
    expect(html).toContain('id="delta-lc">+2.00<');
  });
});
