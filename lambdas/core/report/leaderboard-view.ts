/** The leaderboard as the report shows it: every model with its numbers, this model and similar-size ones marked. */
import { parseLeaderboard } from './leaderboard.ts';
import type { SimilarModel } from './similar-models.ts';

export interface LeaderboardEntry {
  /** 1-based position by LC win rate (the CSV's order). */
  rank: number;
  name: string;
  lc: number | null;
  lcSe: number | null;
  winRate: number | null;
  winRateSe: number | null;
  avgLength: number | null;
  mode: string;
  isThis: boolean;
  /** Parameter count when the model is one of the similar-size models, else null. */
  similarSize: string | null;
}

export interface LeaderboardView {
  entries: LeaderboardEntry[];
  /** This model's rank, or null when it is not on the board. */
  rank: number | null;
  size: number;
}

function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const x = Number(text);
  return Number.isFinite(x) ? x : null;
}

export function leaderboardView(csv: string, name: string, similar: readonly SimilarModel[]): LeaderboardView {
  const board = parseLeaderboard(csv, 'leaderboard.csv');
  const sizes = new Map(similar.map((s) => [s.name, s.params]));
  const entries = board.rows.map((r, i): LeaderboardEntry => ({
    rank: i + 1,
    name: r.name,
    lc: num(r.cells.length_controlled_winrate),
    lcSe: num(r.cells.lc_standard_error),
    winRate: num(r.cells.win_rate),
    winRateSe: num(r.cells.standard_error),
    avgLength: num(r.cells.avg_length),
    mode: r.cells.mode ?? '',
    isThis: r.name === name,
    similarSize: sizes.get(r.name) ?? null,
  }));
  const mine = entries.find((e) => e.isThis);
  return { entries, rank: mine ? mine.rank : null, size: entries.length };
}

/** The top `top` entries plus `around` neighbours either side of this model (the terminal summary's table). */
export function leaderboardExcerpt(view: LeaderboardView, top = 10, around = 2): LeaderboardEntry[] {
  const r = view.rank;
  return view.entries.filter((e) => e.rank <= top || (r !== null && Math.abs(e.rank - r) <= around));
}
