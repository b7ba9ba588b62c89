import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambdas/core/errors.ts';
import { formatLeaderboard, insertIntoLeaderboard, parseLeaderboard, rankOf } from '../../../lambdas/core/report/leaderboard.ts';
import { needFixtures, readFixtureText } from '../../support/fixtures.ts';

const LB = 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv';
const row = {
  win_rate: 12.5, standard_error: 1.25, n_wins: 100, n_wins_base: 700, n_draws: 5, n_total: 805,
  discrete_win_rate: 12.0, mode: 'community', avg_length: 1500, length_controlled_winrate: 20, lc_standard_error: 0.5,
};

describe('leaderboard', () => {
  describe('insertIntoLeaderboard', () => {
    it('adds the model, keeps the official header and sorts by LC descending', (ctx) => {
      needFixtures(ctx, LB);
      const board = parseLeaderboard(readFixtureText(LB), 'lb.csv');
      const { board: out, added } = insertIntoLeaderboard(board, 'hh-llama32-1b-sft', row);
      const csv = formatLeaderboard(out);
      const lines = csv.trimEnd().split('\n');
      expect(added).toBe(true);
      expect(lines[0]).toBe(',win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,discrete_win_rate,mode,avg_length,length_controlled_winrate,lc_standard_error');
      expect(lines).toHaveLength(board.rows.length + 2);
      expect(lines).toContain('hh-llama32-1b-sft,12.5,1.25,100,700,5,805,12.0,community,1500,20.0,0.5');
      const lcs = out.rows.map((r) => Number(r.cells.length_controlled_winrate));
      for (let i = 1; i < lcs.length; i++) expect(lcs[i - 1]!).toBeGreaterThanOrEqual(lcs[i]!);
      expect(rankOf(out, 'hh-llama32-1b-sft')).toBe(out.rows.findIndex((r) => r.name === 'hh-llama32-1b-sft') + 1);
    });

    it('keeps every official row byte for byte', (ctx) => {
      needFixtures(ctx, LB);
      const original = readFixtureText(LB);
      const { board } = insertIntoLeaderboard(parseLeaderboard(original, 'lb.csv'), 'x', row);
      const written = new Set(formatLeaderboard(board).split('\n'));
      for (const line of original.trimEnd().split('\n')) expect(written.has(line), line).toBe(true);
    });

    it('skips a model already on the board, as the official tool does', () => {
      const board = parseLeaderboard(',win_rate,length_controlled_winrate\nm,10.0,30.0\nn,5.0,40.0\n', 'lb.csv');
      const { board: out, added } = insertIntoLeaderboard(board, 'm', row);
      expect(added).toBe(false);
      expect(formatLeaderboard(out)).toBe(',win_rate,length_controlled_winrate\nn,5.0,40.0\nm,10.0,30.0\n');
    });

    it('puts rows with a blank LC last', () => {
      const board = parseLeaderboard(',win_rate,length_controlled_winrate\na,10.0,\nb,5.0,40.0\n', 'lb.csv');
      const { board: out } = insertIntoLeaderboard(board, 'c', row);
      expect(out.rows.map((r) => r.name)).toEqual(['b', 'c', 'a']);
    });
  });

  describe('parseLeaderboard', () => {
    it('rejects a row with the wrong number of fields, naming file and row', () => {
      expect(() => parseLeaderboard(',win_rate,length_controlled_winrate\na,1\n', 'lb.csv')).toThrow(InputError);
      expect(() => parseLeaderboard(',win_rate,length_controlled_winrate\na,1\n', 'lb.csv')).toThrow('lb.csv, row 2: expected 3 fields, found 2');
    });

    it('rejects a header without the LC column', () => {
      expect(() => parseLeaderboard(',win_rate\na,1\n', 'lb.csv')).toThrow('lb.csv, row 1, field "length_controlled_winrate"');
    });
  });
});
