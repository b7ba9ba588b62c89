/**
 * The calibration bridge on simulated judges: how often a held-out panel model's official LC lands inside its 95 %
 * prediction interval, how wide the intervals are, and what a calibration costs (time; judge requests: none from a
 * leaderboard). Judge X = the official LC squashed in log-odds (0.35 + 0.7·logit), a length bias (+0.25 per 1,000
 * characters over 1,800) and model-level noise. Needs the official leaderboard fixture.
 */
import { buildBridge, expit, logit } from '../lambdas/core/calibration/bridge.ts';
import { parseLeaderboard } from '../lambdas/core/report/leaderboard.ts';
import { fixturePath, readFixtureText } from '../test/support/fixtures.ts';

const LEADERBOARD = 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv';
if (!fixturePath(LEADERBOARD)) {
  console.log(`skipped: missing fixture ${LEADERBOARD}`);
  process.exit(0);
}
const board = parseLeaderboard(readFixtureText(LEADERBOARD), LEADERBOARD);
const rows = board.rows.map((r) => ({ name: r.name, lc: Number(r.cells.length_controlled_winrate), len: Number(r.cells.avg_length) }))
  .filter((r) => r.name !== 'gpt4_1106_preview' && r.lc >= 5 && r.lc <= 50).sort((a, b) => a.lc - b.lc);
const step = (rows.length - 1) / 11;
const panel = Array.from({ length: 12 }, (_, i) => rows[Math.round(i * step)]!);

let state = 1;
const uniform = () => ((state = (1664525 * state + 1013904223) >>> 0) + 0.5) / 2 ** 32;
const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());

const PANELS = 1000;
console.log(`calibration bridge: ${panel.length} panel models (LC ${panel[0]!.lc.toFixed(1)}–${panel.at(-1)!.lc.toFixed(1)}), ${PANELS} simulated judges per noise level`);
for (const sd of [0.06, 0.12, 0.25]) {
  let inside = 0;
  let total = 0;
  let width = 0;
  let mae = 0;
  const t0 = performance.now();
  for (let k = 0; k < PANELS; k++) {
    const points = panel.map((m) => ({ name: m.name, official: m.lc, judge: expit(0.35 + 0.7 * logit(m.lc) + 0.25 * (m.len - 1800) / 1000 + sd * gauss()) }));
    for (const r of buildBridge(points).loo) {
      total++;
      width += r.loo_interval[1] - r.loo_interval[0];
      mae += Math.abs(r.loo_error);
      if (r.official >= r.loo_interval[0] && r.official <= r.loo_interval[1]) inside++;
    }
  }
  const ms = (performance.now() - t0) / PANELS;
  console.log(`  noise sd ${sd.toFixed(2)} (log-odds): held-out coverage ${(100 * inside / total).toFixed(1)} % of ${total}, `
    + `mean 95 % width ${(width / total).toFixed(1)} LC points, mean |error| ${(mae / total).toFixed(2)}, ${ms.toFixed(2)} ms per calibration, 0 judge requests`);
}
