/**
 * The run report: a static, self-contained HTML page (no network, all model text escaped) with the headline
 * numbers, the run's settings and cost, and where the model stands on the AlpacaEval 2.0 leaderboard.
 */
import type { RunManifest } from '../run/manifest.ts';
import { parseLeaderboard } from './leaderboard.ts';
import { escapeHtml, fixed } from './html.ts';

export interface RunReportInput {
  manifest: RunManifest;
  /** metrics.json as written by the aggregate step. */
  metrics: {
    name: string; win_rate: number; standard_error: number; length_controlled_winrate: number; lc_standard_error: number;
    discrete_win_rate: number; n_wins: number; n_wins_base: number; n_draws: number; n_total: number; avg_length: number;
    lc_sensitivity: { band: [number, number] }; extreme_change_warning: boolean; warnings: string[];
    leaderboard: { rank: number | undefined; size: number };
  };
  leaderboardCsv: string;
  annotationsJson: string;
}

function row(cells: string[], tag = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

export function renderRunReport(input: RunReportInput): string {
  const { manifest: man, metrics: m } = input;
  const board = parseLeaderboard(input.leaderboardCsv, 'leaderboard.csv');
  const rank = board.rows.findIndex((r) => r.name === m.name);
  const shown = board.rows.filter((_, i) => i < 10 || Math.abs(i - rank) <= 3);
  const lbRows = shown.map((r) => {
    const mine = r.name === m.name;
    const cells = [String(board.rows.indexOf(r) + 1), escapeHtml(r.name), fixed(Number(r.cells.length_controlled_winrate)), fixed(Number(r.cells.win_rate)), escapeHtml(r.cells.avg_length ?? '')];
    return mine ? row(cells.map((c) => `<strong>${c}</strong>`)).replace('<tr>', '<tr class="mine">') : row(cells);
  }).join('\n');
  const stages = Object.entries(man.stages).map(([name, s]) => row([escapeHtml(name), escapeHtml(s?.status ?? ''), s?.seconds === undefined ? '–' : `${fixed(s.seconds, 1)} s`])).join('\n');
  const warnings = m.warnings.map((w) => `<p class="warn">${escapeHtml(w)}</p>`).join('\n');
  const cfg = man.config;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AlpacaEval 2.0 — ${escapeHtml(m.name)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin:0 0 .2rem}.sub{color:#5b6475;margin:0 0 1.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:.8rem;margin-bottom:1.5rem}
.card{border:1px solid #d9dee8;border-radius:8px;padding:.8rem 1rem}.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #e6e9f0;padding:.3rem .5rem;text-align:left}
tr.mine{background:#fff4cc}.warn{background:#fde8e8;border-left:4px solid #c62828;padding:.5rem .8rem}
</style></head><body>
<h1>${escapeHtml(m.name)} on AlpacaEval 2.0</h1>
<p class="sub">run ${escapeHtml(man.runId)} · judge ${escapeHtml(cfg.judge.preset)} · ${m.n_total} rows judged · ${escapeHtml(man.status)}</p>
${warnings}
<div class="cards">
<div class="card" id="lc">LC win rate<b>${fixed(m.length_controlled_winrate)} ± ${fixed(m.lc_standard_error)}</b>C-sensitivity ${fixed(m.lc_sensitivity.band[0])}–${fixed(m.lc_sensitivity.band[1])}</div>
<div class="card" id="wr">Win rate<b>${fixed(m.win_rate)} ± ${fixed(m.standard_error)}</b>discrete ${fixed(m.discrete_win_rate)}</div>
<div class="card">Wins / losses / draws<b>${m.n_wins} / ${m.n_wins_base} / ${m.n_draws}</b></div>
<div class="card">Average length<b>${m.avg_length}</b>characters</div>
<div class="card">Leaderboard<b>#${m.leaderboard.rank ?? '–'}</b>of ${m.leaderboard.size}</div>
<div class="card">Judge cost<b>$${fixed(man.costUsd.judge)}</b>${man.tokens.judgePrompt} prompt tokens</div>
</div>
<h2>Leaderboard</h2><table><thead>${row(['#', 'model', 'LC win rate', 'win rate', 'avg length'], 'th')}</thead><tbody>
${lbRows}
</tbody></table>
<h2>Run</h2><table><thead>${row(['stage', 'status', 'time'], 'th')}</thead><tbody>
${stages}
</tbody></table>
<p class="sub">model ${escapeHtml(cfg.model)}${cfg.revision ? ` @ ${escapeHtml(cfg.revision)}` : ''} · max_new_tokens ${cfg.generation.maxNewTokens}, temperature ${cfg.generation.temperature}, top_p ${cfg.generation.topP}</p>
</body></html>
`;
}
