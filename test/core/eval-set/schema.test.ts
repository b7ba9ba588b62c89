import { describe, expect, it } from 'vitest';
import { parseModelOutputs } from '../../../lambdas/core/eval-set/schema.ts';
import { InputError } from '../../../lambdas/core/errors.ts';
import { goldenModels, needFixtures, readFixtureText } from '../../support/fixtures.ts';

const FILE = 'model_outputs.json';

function errorOf(act: () => unknown): InputError {
  try {
    act();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('schema', () => {
  describe('parseModelOutputs', () => {
    it('returns the rows with extra fields kept and the single generator', () => {
      // Prepare
      const text = JSON.stringify([
        { instruction: 'a', output: 'x', generator: 'g', dataset: 'd', datasplit: 'eval' },
        { instruction: 'b', output: '', generator: 'g', score: 3 },
      ]);
      // Act
      const parsed = parseModelOutputs(text, FILE);
      // Assess
      expect(parsed).toEqual({
        fileName: FILE,
        generator: 'g',
        rows: [
          { instruction: 'a', output: 'x', generator: 'g', dataset: 'd', datasplit: 'eval' },
          { instruction: 'b', output: '', generator: 'g', score: 3 },
        ],
      });
    });

    it('accepts rows without generator and a leading byte-order mark', () => {
      // Act
      const parsed = parseModelOutputs('\uFEFF[{"instruction":"a","output":"x"}]', FILE);
      // Assess
      expect(parsed.generator).toBeUndefined();
      expect(parsed.rows).toEqual([{ instruction: 'a', output: 'x' }]);
    });

    it.each([
      ['invalid JSON', '[{"instruction": "a",', {}, /^model_outputs\.json: invalid JSON/],
      ['a top level that is not an array', '{"instruction":"a","output":"x"}', {}, /expected a JSON array of records, got an object/],
      ['an empty array', '[]', {}, /the array is empty/],
      ['a row that is not an object', '[{"instruction":"a","output":"x"}, ["b"]]', { row: 2 }, /row 2: expected an object, got an array/],
      ['a missing output', '[{"instruction":"a"}]', { row: 1, field: 'output' }, /row 1, field "output": missing required field/],
      ['a null output', '[{"instruction":"a","output":null}]', { row: 1, field: 'output' }, /expected a string, got null/],
      ['a numeric instruction', '[{"instruction":"a","output":"x"},{"instruction":7,"output":"y"}]', { row: 2, field: 'instruction' }, /got a number/],
      ['a non-string dataset', '[{"instruction":"a","output":"x","dataset":1}]', { row: 1, field: 'dataset' }, /when present/],
      ['several generators', '[{"instruction":"a","output":"x","generator":"g"},{"instruction":"b","output":"y","generator":"h"}]',
        { row: 2, field: 'generator' }, /"h" differs from "g" \(row 1\)/],
      ['a generator on some rows only', '[{"instruction":"a","output":"x"},{"instruction":"b","output":"y","generator":"h"}]',
        { row: 1, field: 'generator' }, /missing, while row 2 has generator "h"/],
    ])('throws InputError naming file, row and field for %s', (_name, text, where, message) => {
      // Act
      const error = errorOf(() => parseModelOutputs(text, FILE));
      // Assess
      expect(error.location).toEqual({ file: FILE, ...where });
      expect(error.message).toMatch(message);
    });

    it('parses the eval set and the 15 stored model output files', (ctx) => {
      // Prepare
      const files = ['reference/gpt4_1106_preview.model_outputs.json', ...goldenModels().map((m) => `outputs/${m}.model_outputs.json.gz`)];
      needFixtures(ctx, ...files);
      // Act
      const parsed = files.map((f) => parseModelOutputs(readFixtureText(f), f));
      // Assess
      expect(parsed[0]!.rows).toHaveLength(805);
      expect(parsed[0]!.generator).toBe('gpt4_1106_preview');
      const byModel = Object.fromEntries(parsed.slice(1).map((p, i) => [goldenModels()[i], [p.generator, p.rows.length]]));
      expect(byModel['NullModel']).toEqual(['example', 805]);
      expect(byModel['phi-2']).toEqual(['phi-2', 803]);
      expect(byModel['alpaca-7b_verbose']).toEqual(['alpaca-7b_verbose', 802]);
      expect(parsed.slice(1).reduce((n, p) => n + p.rows.length, 0)).toBe(805 * 15 - 1 - 3 - 2);
    });
  });
});
