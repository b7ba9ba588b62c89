import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv, parseCsvTable } from '../../../lambdas/core/format/csv.ts';
import { pyFloatRepr } from '../../../lambdas/core/format/python-repr.ts';

describe('format', () => {
  describe('pyFloatRepr', () => {
    // Expected strings are CPython's repr() of the same doubles.
    const cases: [number, string][] = [
      [50, '50.0'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1e16, '1e+16'], [1e15, '1000000000000000.0'],
      [29.9219322658882, '29.9219322658882'], [-1.5e-7, '-1.5e-07'], [2.0700000002982222e-7, '2.0700000002982222e-07'],
      [0, '0.0'], [-0, '-0.0'], [123.456, '123.456'],
    ];
    for (const [x, s] of cases) it(`writes ${s}`, () => expect(pyFloatRepr(x)).toBe(s));
  });

  describe('parseCsv', () => {
    it('reads quoted cells with commas, quotes and newlines and round-trips them', () => {
      const text = 'a,"b,c","d ""q""","e\nf"\n1,2,3,4\n';
      const rows = parseCsv(text, 'x.csv');
      expect(rows).toEqual([['a', 'b,c', 'd "q"', 'e\nf'], ['1', '2', '3', '4']]);
      expect(formatCsv(rows)).toBe(text);
    });

    it('reports an unterminated quote with the file name', () => {
      expect(() => parseCsv('a,"b\n', 'x.csv')).toThrow('x.csv, row 1: unterminated quoted field');
    });
  });

  describe('parseCsvTable', () => {
    it('names the missing column', () => {
      expect(() => parseCsvTable('a,b\n1,2\n', 't.csv', ['c'])).toThrow('t.csv, row 1, field "c": missing column');
    });
  });
});
