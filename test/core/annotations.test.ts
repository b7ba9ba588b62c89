import { describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../lambdas/core/annotations.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import { needFixtures, readFixtureText } from '../support/fixtures.ts';

const row = (over: Record<string, unknown> = {}) => ({
  instruction: 'Say hi', output_1: 'Hi', generator_1: 'gpt4_1106_preview', output_2: 'Hello', generator_2: 'm',
  annotator: 'weighted_alpaca_eval_gpt4_turbo', preference: 1.7, ...over,
});
const text = (rows: unknown[]) => JSON.stringify(rows);

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('annotations', () => {
  describe('parseAnnotations', () => {
    it('reads a file with legacy field names (raw_completion, price_per_example)', (ctx) => {
      needFixtures(ctx, 'annotations/alpaca-7b.annotations.json.gz');
      const parsed = parseAnnotations(readFixtureText('annotations/alpaca-7b.annotations.json.gz'), 'alpaca-7b.json');
      expect(parsed.rows).toHaveLength(805);
      expect(parsed.model).toBe('alpaca-7b');
      expect(parsed.baseline).toBe('gpt4_1106_preview');
      expect(parsed.annotator).toBe('weighted_alpaca_eval_gpt4_turbo');
      expect(parsed.rows[0]).toHaveProperty('raw_completion');
    });

    it('reads current field names and keeps extra fields', () => {
      const parsed = parseAnnotations(text([row({ preference_raw_completion: { x: 1 }, preference_price_per_example: 0.01 })]), 'a.json');
      expect(parsed.rows[0]!.preference_price_per_example).toBe(0.01);
    });

    it('accepts null preferences (a judge failure) and the legacy tie code 0', () => {
      const parsed = parseAnnotations(text([row({ preference: null }), row({ preference: 0 })]), 'a.json');
      expect(parsed.rows.map((r) => r.preference)).toEqual([null, 0]);
    });

    const bad: [string, string, string][] = [
      ['invalid JSON', '[{"a": 1', 'a.json: invalid JSON'],
      ['an empty file', '   ', 'a.json: the file is empty'],
      ['an empty array', '[]', 'a.json: the array has no records'],
      ['a non-array', '{"a": 1}', 'a.json: expected a JSON array of records'],
      ['a non-object row', text([row(), 5]), 'a.json, row 2: expected an object'],
      ['a missing output_2', text([row(), row({ output_2: undefined })]), 'a.json, row 2, field "output_2": missing'],
      ['a numeric output_1', text([row({ output_1: 3 })]), 'a.json, row 1, field "output_1": expected a string, got number 3'],
      ['a string preference', text([row({ preference: '2' })]), 'a.json, row 1, field "preference": expected a number or null, got string "2"'],
      ['a preference above 2', text([row(), row(), row({ preference: 2.5 })]), 'a.json, row 3, field "preference": 2.5 is outside [1, 2]'],
      ['a preference of 0.5', text([row({ preference: 0.5 })]), 'a.json, row 1, field "preference": 0.5 is outside [1, 2]'],
      ['a missing preference', text([row({ preference: undefined })]), 'a.json, row 1, field "preference": missing'],
      ['several generators', text([row(), row({ generator_2: 'other' })]), 'a.json, row 2, field "generator_2": several generators'],
      ['several annotators', text([row(), row({ annotator: 'x' })]), 'a.json, row 2, field "annotator": several annotators'],
    ];
    for (const [what, input, message] of bad) {
      it(`rejects ${what}, naming file, row and field`, () => {
        const err = errorOf(() => parseAnnotations(input, 'a.json'));
        expect(err.message.startsWith(message), err.message).toBe(true);
      });
    }
  });
});
