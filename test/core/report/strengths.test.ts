import { describe, expect, it } from 'vitest';
import { categorise, strengthsAndWeaknesses, type StrengthRow } from '../../../lambdas/core/report/strengths.ts';

/** 20 koala rows won 3 in 4 times, 20 oasst rows lost 3 in 4 times, 20 vicuna rows all ties. */
function rows(): StrengthRow[] {
  const out: StrengthRow[] = [];
  for (let i = 0; i < 20; i++) out.push({ instruction: `Write a poem ${i}`, dataset: 'koala', preference: i % 4 === 0 ? 1.1 : 1.9 - i / 1000 });
  for (let i = 0; i < 20; i++) out.push({ instruction: `Explain why ${i}`, dataset: 'oasst', preference: i % 4 === 0 ? 1.8 : 1.05 + i / 1000 });
  for (let i = 0; i < 20; i++) out.push({ instruction: `Anything ${i}`, dataset: 'vicuna', preference: i === 0 ? null : 1.5 });
  return out;
}

describe('strengths', () => {
  describe('categorise', () => {
    it('puts an instruction in every category whose keywords it contains', () => {
      expect(categorise(['Write a Python function that sorts a list', 'Why is the sky blue?', 'hello'])).toEqual([
        ['coding', 'writing', 'lists'], ['knowledge'], [],
      ]);
    });
  });

  describe('strengthsAndWeaknesses', () => {
    it('ranks groups against the overall win rate, with the most decisive example of each', () => {
      const r = rows();
      // overall: mean of the 59 judged rows' preference − 1
      const judged = r.filter((x) => x.preference !== null).map((x) => x.preference! - 1);
      const overall = (judged.reduce((a, b) => a + b, 0) / judged.length) * 100;
      const s = strengthsAndWeaknesses(r, { overallWinRate: overall });
      // the koala rows ("Write a poem") are also the creative and the writing rows: three groups of the same 20 rows, tied, by key
      expect(s.strengths.map((g) => g.key)).toEqual(['category:creative', 'category:writing', 'dataset:koala']);
      expect(s.strengths[0]!.winRate).toBeCloseTo(((5 * 0.1 + (0.9 * 15 - (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15 + 17 + 18 + 19) / 1000)) / 20) * 100, 10);
      expect(s.strengths[0]!.example).toMatchObject({ row: 1, preference: 1.899 });
      expect(s.weaknesses.map((g) => g.key)).toEqual(['category:knowledge', 'dataset:oasst']);
      expect(s.weaknesses[0]!.example).toMatchObject({ row: 21, preference: 1.051 });
      expect(s.groups.map((g) => g.key)).toContain('dataset:vicuna');
      expect(s.bestWins.map((x) => x.row)).toEqual([1, 2, 3, 5, 6]);
      expect(s.worstLosses.map((x) => x.row)).toEqual([21, 22, 23, 25, 26]);
    });

    it('leaves out groups smaller than minRows', () => {
      const s = strengthsAndWeaknesses(rows(), { overallWinRate: 50, minRows: 21 });
      expect(s.groups).toEqual([]);
      expect(s.strengths).toEqual([]);
    });
  });
});
