import { describe, expect, it } from 'vitest';
import { CsvFormatError, parseGamedTable, parseInstructionDifficulty } from '../../../../lambdas/core/metrics/glm/gamed-table.ts';
import { needFixtures, readFixtureText } from '../../../support/fixtures.ts';

const HEADER = 'index,preference,std_delta_len,instruction_difficulty,not_gamed_baseline,model';

describe('gamed-table', () => {
  describe('parseGamedTable', () => {
    it('reads the stand-in df_gamed.csv: 1610 rows, two complete models in index order', (ctx) => {
      // Prepare
      needFixtures(ctx, 'standin/df_gamed.csv');
      // Act
      const rows = parseGamedTable(readFixtureText('standin/df_gamed.csv'), 'df_gamed.csv');
      // Assess
      expect(rows).toHaveLength(1610);
      expect(rows[0]).toEqual({
        index: 0, preference: 2.0700000002982222e-7, std_delta_len: 2.2105172066533965, instruction_difficulty: 0, not_gamed_baseline: false,
      });
      expect(rows[1]!.instruction_difficulty).toBe(-1.061390714826326);
      expect(rows.map((r) => r.index)).toEqual([...Array(805).keys(), ...Array(805).keys()]);
      expect(rows.every((r) => r.not_gamed_baseline === false)).toBe(true);
    });

    it('finds columns by header name in the synthetic file, whose column order differs', (ctx) => {
      // Prepare
      needFixtures(ctx, 'derived/lc_synthetic/df_gamed_SYNTHETIC.csv');
      const text = readFixtureText('derived/lc_synthetic/df_gamed_SYNTHETIC.csv');
      // Act
      const rows = parseGamedTable(text, 'df_gamed_SYNTHETIC.csv');
      // Assess
      expect(text.split('\n')[0]).toBe('index,model,preference,std_delta_len,instruction_difficulty,not_gamed_baseline');
      expect(rows).toHaveLength(1610);
      expect(rows[0]).toEqual({
        index: 0, preference: 6.302759999998742e-5, std_delta_len: 1.105744269659631, instruction_difficulty: -2.408688350873702, not_gamed_baseline: false,
      });
    });

    it('reads empty and NaN preferences as NaN, True/False booleans, quoted fields and CRLF line ends', () => {
      // Prepare
      const text = `${HEADER}\r\n0,,1.5,0.25,True,"a, ""quoted"" model"\r\n1,NaN,-1e-3,-2,False,b\r\n\r\n`;
      // Act
      const rows = parseGamedTable(text, 'mini.csv');
      // Assess
      expect(rows).toHaveLength(2);
      expect(rows[0]!.preference).toBeNaN();
      expect(rows[0]).toMatchObject({ index: 0, std_delta_len: 1.5, instruction_difficulty: 0.25, not_gamed_baseline: true });
      expect(rows[1]!.preference).toBeNaN();
      expect(rows[1]).toMatchObject({ index: 1, std_delta_len: -0.001, instruction_difficulty: -2, not_gamed_baseline: false });
    });

    it('names the file, the 1-based row and the field of a bad number', () => {
      // Prepare
      const text = `${HEADER}\n0,0.5,1,0,False,m\n1,0.5,abc,0,False,m\n`;
      // Act
      const act = (): unknown => parseGamedTable(text, 'df_gamed.csv');
      // Assess
      expect(act).toThrow(CsvFormatError);
      expect(act).toThrow('df_gamed.csv: row 2 (line 3) field "std_delta_len": not a number: "abc"');
    });

    it('names the field of a bad boolean and of a bad index', () => {
      // Prepare
      const badBool = `${HEADER}\n0,0.5,1,0,yes,m\n`;
      const badIndex = `${HEADER}\n0.5,0.5,1,0,False,m\n`;
      // Act / Assess
      expect(() => parseGamedTable(badBool, 'g.csv')).toThrow('g.csv: row 1 (line 2) field "not_gamed_baseline": not a boolean (True/False): "yes"');
      expect(() => parseGamedTable(badIndex, 'g.csv')).toThrow('g.csv: row 1 (line 2) field "index": not a non-negative integer: "0.5"');
    });

    it('rejects a missing column, a short row and an empty file, naming the file', () => {
      // Prepare
      const noColumn = 'index,preference,std_delta_len,instruction_difficulty\n0,0.5,1,0\n';
      const shortRow = `${HEADER}\n0,0.5,1\n`;
      // Act / Assess
      expect(() => parseGamedTable(noColumn, 'a.csv')).toThrow(/^a\.csv: missing column\(s\) not_gamed_baseline/);
      expect(() => parseGamedTable(shortRow, 'b.csv')).toThrow('b.csv: row 1 (line 2): expected 6 fields, found 3');
      expect(() => parseGamedTable('', 'c.csv')).toThrow('c.csv: empty file (no header)');
      expect(() => parseGamedTable(`${HEADER}\n0,"x`, 'd.csv')).toThrow(/^d\.csv: unterminated quoted field/);
    });
  });

  describe('parseInstructionDifficulty', () => {
    it('reads the stand-in instruction_difficulty.csv into index → difficulty', (ctx) => {
      // Prepare
      needFixtures(ctx, 'standin/instruction_difficulty.csv');
      // Act
      const table = parseInstructionDifficulty(readFixtureText('standin/instruction_difficulty.csv'), 'instruction_difficulty.csv');
      // Assess
      expect(table.size).toBe(805);
      expect(table.get(0)).toBe(0);
      expect([...table.keys()]).toEqual([...Array(805).keys()]);
    });

    it('rejects a duplicated index, naming the row', () => {
      // Act / Assess
      expect(() => parseInstructionDifficulty('index,instruction_difficulty\n0,1\n0,2\n', 'd.csv')).toThrow(
        'd.csv: row 2 (line 3) field "index": duplicate index 0',
      );
    });
  });
});
