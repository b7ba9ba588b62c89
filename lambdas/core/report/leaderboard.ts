/**
 * `leaderboard.csv` as alpaca_eval writes it: the official AlpacaEval 2.0 leaderboard plus the evaluated
 * model's row, index = model name (blank header), official column order, sorted by
 * `length_controlled_winrate` descending with blanks last. Existing rows keep their original text.
 */
import { InputError } from '../errors.ts';
import { formatCsv, parseCsv } from '../format/csv.ts';
import { pyFloatRepr } from '../format/python-repr.ts';

export const LEADERBOARD_COLUMNS = [
  'win_rate', 'standard_error', 'n_wins', 'n_wins_base', 'n_draws', 'n_total', 'discrete_win_rate', 'mode',
  'avg_length', 'length_controlled_winrate', 'lc_standard_error',
] as const;

export interface LeaderboardRow {
  name: string;
  /** Raw cell text by column, as stored. */
  cells: Record<string, string>;
}

export interface Leaderboard {
  columns: string[];
  rows: LeaderboardRow[];
}

/** Values of the evaluated model's row (columns not on the board are appended after the official ones). */
export type NewLeaderboardRow = Record<(typeof LEADERBOARD_COLUMNS)[number], number | string> & { [extra: string]: number | string };

export function parseLeaderboard(text: string, file: string): Leaderboard {
  const table = parseCsv(text, file);
  const header = table[0];
  if (!header || header[0] !== '') throw new InputError({ file, row: 1 }, 'expected a header whose first cell is blank (the model-name index)');
  const columns = header.slice(1);
  for (const col of ['win_rate', 'length_controlled_winrate']) {
    if (!columns.includes(col)) throw new InputError({ file, row: 1, field: col }, 'missing column in the header');
  }
  const rows = table.slice(1).map((cells, i) => {
    if (cells.length !== header.length) {
      throw new InputError({ file, row: i + 2 }, `expected ${header.length} fields, found ${cells.length}`);
    }
    const rec: Record<string, string> = {};
    columns.forEach((c, j) => (rec[c] = cells[j + 1]!));
    return { name: cells[0]!, cells: rec };
  });
  return { columns, rows };
}

const FLOAT_COLUMNS = new Set(['win_rate', 'standard_error', 'discrete_win_rate', 'length_controlled_winrate', 'lc_standard_error']);

/** pandas writes float columns with Python's repr ("50.0") and integer columns as integers. */
function cellText(column: string, v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return '';
  return !FLOAT_COLUMNS.has(column) && Number.isSafeInteger(v) ? String(v) : pyFloatRepr(v);
}

function formatRowCells(row: NewLeaderboardRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) out[k] = cellText(k, v);
  return out;
}

function lcValue(r: LeaderboardRow): number {
  const t = r.cells.length_controlled_winrate;
  return t === undefined || t === '' ? NaN : Number(t);
}

/**
 * Adds the model's row (skipped when the name is already on the board, as the official tool does unless
 * told to overwrite) and sorts by LC descending. Returns the board and whether the row was added.
 */
export function insertIntoLeaderboard(
  board: Leaderboard,
  name: string,
  row: NewLeaderboardRow,
  options: { overwrite?: boolean } = {},
): { board: Leaderboard; added: boolean } {
  const exists = board.rows.some((r) => r.name === name);
  if (exists && !options.overwrite) return { board: sortByLc(board), added: false };
  const columns = [...board.columns];
  for (const c of Object.keys(row)) if (!columns.includes(c)) columns.push(c);
  const rows = board.rows.filter((r) => r.name !== name).concat({ name, cells: formatRowCells(row) });
  return { board: sortByLc({ columns, rows }), added: true };
}

function sortByLc(board: Leaderboard): Leaderboard {
  const rows = board.rows
    .map((r, i) => ({ r, i, lc: lcValue(r) }))
    .sort((a, b) => {
      const an = Number.isNaN(a.lc);
      const bn = Number.isNaN(b.lc);
      if (an !== bn) return an ? 1 : -1;
      if (!an && a.lc !== b.lc) return b.lc - a.lc;
      return a.i - b.i;
    })
    .map((x) => x.r);
  return { columns: board.columns, rows };
}

export function formatLeaderboard(board: Leaderboard): string {
  return formatCsv([['', ...board.columns], ...board.rows.map((r) => [r.name, ...board.columns.map((c) => r.cells[c] ?? '')])]);
}

/** 1-based rank of a model on the board (by LC), or undefined. */
export function rankOf(board: Leaderboard, name: string): number | undefined {
  const i = board.rows.findIndex((r) => r.name === name);
  return i < 0 ? undefined : i + 1;
}
