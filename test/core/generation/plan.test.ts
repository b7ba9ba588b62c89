import { describe, expect, it } from 'vitest';
import { legacyPermutation } from '../../../lambdas/core/eval-set/max-instances.ts';
import { assembleModelOutputs, planGeneration, stripOutput } from '../../../lambdas/core/generation/plan.ts';

const evalSet = Array.from({ length: 20 }, (_, i) => ({ instruction: `q${i}`, output: `r${i}`, ...(i === 0 ? {} : { dataset: 'd' }) }));

describe('plan', () => {
  describe('planGeneration', () => {
    it('takes every row in eval-set order by default', () => {
      expect(planGeneration({ evalSet }).map((r) => r.evalIndex)).toEqual(evalSet.map((_, i) => i));
    });

    it('takes the official subset for max instances, in eval-set order', () => {
      const expected = legacyPermutation(20).slice(0, 5).sort((a, b) => a - b);
      expect(planGeneration({ evalSet, maxInstances: 5 }).map((r) => r.evalIndex)).toEqual(expected);
      expect(expected).not.toEqual([0, 1, 2, 3, 4]);
      expect(planGeneration({ evalSet, maxInstances: 50 })).toHaveLength(20);
    });
  });

  describe('stripOutput', () => {
    it('strips with Python str.strip whitespace, not JavaScript trim', () => {
      expect(stripOutput('\u0085\u001c answer \n\u3000')).toBe('answer');
      expect(stripOutput('\ufeffanswer\ufeff')).toBe('\ufeffanswer\ufeff');
    });
  });

  describe('assembleModelOutputs', () => {
    it('writes dataset, instruction, stripped output and generator in plan order', () => {
      const rows = planGeneration({ evalSet }).slice(0, 2);
      const out = assembleModelOutputs({ rows, outputs: new Map([[0, ' a '], [1, '\nb\n']]), generator: 'g' });
      expect(out).toEqual([{ instruction: 'q0', output: 'a', generator: 'g' }, { dataset: 'd', instruction: 'q1', output: 'b', generator: 'g' }]);
      expect(Object.keys(out[1]!)).toEqual(['dataset', 'instruction', 'output', 'generator']);
    });

    it('refuses a row without output', () => {
      expect(() => assembleModelOutputs({ rows: planGeneration({ evalSet }), outputs: new Map(), generator: 'g' })).toThrow(RangeError);
    });
  });
});
