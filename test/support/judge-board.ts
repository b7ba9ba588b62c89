/** A leaderboard as another judge would publish it, made from the official one for calibration tests. */
import { expitPct, logitPct } from '../../lambdas/core/calibration/bridge.ts';

/**
 * Judge X's leaderboard: 13 official models (LC 5–50) seen through a monotone squash, a length bias and a
 * deterministic ±noise; returns the CSV text and the official LCs.
 */
export function distortedBoard(officialCsv: string): { csv: string; official: Map<string, number> } {
  const lines = officialCsv.trim().split('\n');
  const header = lines[0]!.split(',');
  const lcCol = header.indexOf('length_controlled_winrate');
  const wrCol = header.indexOf('win_rate');
  const lenCol = header.indexOf('avg_length');
  const rows = lines.slice(1).map((l) => l.split(',')).filter((c) => c.length === header.length && c[lcCol] !== '' && Number(c[lcCol]) >= 5 && Number(c[lcCol]) < 50 && c[0] !== 'gpt4_1106_preview');
  const picked = rows.filter((_, i) => i % Math.floor(rows.length / 13) === 0).slice(0, 13);
  const official = new Map<string, number>();
  const out = [header.join(',')];
  picked.forEach((c, i) => {
    official.set(c[0]!, Number(c[lcCol]));
    const bias = 0.05 * (Number(c[lenCol]) - 1800) / 1000;
    const noise = (i % 3 - 1) * 0.06;
    const cells = [...c];
    cells[lcCol] = String(expitPct(0.4 + 0.65 * logitPct(Number(c[lcCol])) + bias + noise));
    cells[wrCol] = String(expitPct(0.2 + 0.8 * logitPct(Number(c[wrCol])) + noise));
    out.push(cells.join(','));
  });
  out.push(`my-checkpoint,${header.slice(1).map((h) => (h === 'length_controlled_winrate' ? '21.0' : h === 'win_rate' ? '15.0' : h === 'mode' ? 'community' : '0')).join(',')}`);
  return { csv: `${out.join('\n')}\n`, official };
}
