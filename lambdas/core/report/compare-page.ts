/**
 * The comparison page of two checkpoints (`aep compare --html`): ΔLC with its paired bootstrap interval and verdict,
 * what changed (length drift, paired change per dataset) and the flip explorer — instructions that went from a loss
 * to a win or back, with the reference and both outputs side by side, filterable. Self-contained like the run report:
 * data in JSON blocks, model text rendered with textContent only, a CSP that allows only the page's own script.
 */
import { CLIENT_COMMON_JS } from './client-common.ts';
import { escapeHtml as e, fixed } from './html.ts';
import { renderPage } from './page-shell.ts';
import { REPORT_STYLES } from './page-styles.ts';
import type { PairedComparison } from './paired-test.ts';
import type { WhatChanged } from './what-changed.ts';

/** B vs A by the paired LC bootstrap (what `aep compare` computes; services/lc-bootstrap.ts). */
export interface PairedLcComparison {
  a: { name: string; length_controlled_winrate: number; win_rate: number };
  b: { name: string; length_controlled_winrate: number; win_rate: number };
  /** instructions judged for both models */
  shared: number;
  /** LC(B) − LC(A), in points */
  delta_length_controlled_winrate: number;
  /** 95 % percentile interval of ΔLC over the shared resamples */
  ci95: [number, number];
  /** two-sided bootstrap p-value of ΔLC = 0 */
  p_value: number;
  delta_win_rate: number;
  win_rate_ci95: [number, number];
  win_rate_p_value: number;
  /** the paired tests on the raw per-instruction preferences */
  paired: PairedComparison;
  /** ΔLC's interval excludes 0: `better` / `worse` (B vs A); else `no detectable difference` */
  verdict: 'better' | 'worse' | 'no detectable difference';
  bootstrap: { replicates: number; seed: number };
}

/** The numbers the page shows (the output of services/compare.ts satisfies it). */
export interface ComparePageInput extends PairedLcComparison {
  what_changed: WhatChanged;
  warnings: string[];
}

const CLIENT_FLIPS_JS = String.raw`
(function () {
  'use strict';
  var flips = AEP.readJson('flips-data') || [];
  var list = document.getElementById('flip-list'), detail = document.getElementById('flip-detail');
  var dir = document.getElementById('flip-direction'), ds = document.getElementById('flip-dataset'), q = document.getElementById('flip-search');
  var count = document.getElementById('flip-count');
  if (!list || !detail) return;
  function text(tag, cls, value) { var el = document.createElement(tag); if (cls) el.className = cls; el.textContent = value; return el; }
  function show(f) {
    detail.textContent = '';
    detail.appendChild(text('h3', '', f.direction === 'win' ? 'loss in A → win in B' : 'win in A → loss in B'));
    detail.appendChild(text('p', 'small muted', 'dataset ' + f.dataset + ' · preference A ' + AEP.fixed(f.preferenceA, 3) + ' → B ' + AEP.fixed(f.preferenceB, 3) + ' (1 = reference wins, 2 = model wins)'));
    detail.appendChild(text('div', 'text quote', f.instruction));
    var grid = document.createElement('div'); grid.className = 'pair flip-grid';
    [['reference', f.reference], ['A', f.outputA], ['B', f.outputB]].forEach(function (p) {
      var col = document.createElement('div');
      col.appendChild(text('h4', '', p[0]));
      col.appendChild(text('div', 'text', p[1]));
      grid.appendChild(col);
    });
    detail.appendChild(grid);
  }
  function render() {
    var d = dir ? dir.value : '', s = ds ? ds.value : '', needle = q ? q.value.toLowerCase() : '';
    list.textContent = '';
    var shown = 0;
    flips.forEach(function (f) {
      if (d && f.direction !== d) return;
      if (s && f.dataset !== s) return;
      if (needle && (f.instruction + '\n' + f.outputA + '\n' + f.outputB).toLowerCase().indexOf(needle) < 0) return;
      var row = document.createElement('button');
      row.type = 'button';
      row.className = 'flip-row ' + (f.direction === 'win' ? 'to-win' : 'to-loss');
      row.appendChild(text('span', 'badge ' + (f.direction === 'win' ? 'win' : 'loss'), f.direction === 'win' ? 'loss → win' : 'win → loss'));
      row.appendChild(text('span', 't', ' ' + f.instruction.slice(0, 140)));
      row.addEventListener('click', function () { show(f); });
      list.appendChild(row);
      shown++;
    });
    if (count) count.textContent = shown + ' of ' + flips.length + ' flips';
  }
  [dir, ds, q].forEach(function (el) { if (el) el.addEventListener('input', render); });
  render();
  if (flips.length) show(flips[0]);
})();
`;

const FLIP_STYLES = `.flip-grid{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.6rem}
.flip-list{height:520px;overflow-y:auto;border:1px solid var(--line);border-radius:6px}
.flip-row{display:block;width:100%;text-align:left;font:inherit;background:none;border:0;border-bottom:1px solid var(--line);padding:.3rem .5rem;cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.flip-row:hover{background:#f3f6fb}`;

const sign = (x: number): string => `${x >= 0 ? '+' : ''}${fixed(x)}`;
const pv = (p: number): string => (Number.isNaN(p) ? '–' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

export function verdictBadge(verdict: ComparePageInput['verdict']): string {
  if (verdict === 'better') return '<span class="badge win">better: the 95 % interval of ΔLC is above 0</span>';
  if (verdict === 'worse') return '<span class="badge loss">worse: the 95 % interval of ΔLC is below 0</span>';
  return '<span class="badge tie">no detectable difference: the 95 % interval of ΔLC contains 0</span>';
}

export function renderComparePage(c: ComparePageInput): string {
  const w = c.what_changed;
  const t = c.paired.tTest;
  const s = c.paired.signTest;
  const datasets = w.byDataset.map((d) =>
    `<tr><td>${e(d.dataset)}</td><td class="n">${d.n}</td><td class="n">${sign(d.tTest.mean)}</td><td class="n">[${fixed(d.tTest.ci95[0])}, ${fixed(d.tTest.ci95[1])}]</td><td class="n">${pv(d.tTest.p)}</td></tr>`).join('\n');
  const dsOptions = [...new Set(w.flips.map((f) => f.dataset))].sort().map((d) => `<option value="${e(d)}">${e(d)}</option>`).join('');
  const share = w.length.shareOfWinRateChange;
  const body = `<main>
<h1>${e(c.b.name)} <span class="muted">vs</span> ${e(c.a.name)}</h1>
<p class="sub">AlpacaEval 2.0, both judged against the same reference on ${c.shared} shared instructions. ${c.bootstrap.replicates} bootstrap replicates over instructions (seed ${c.bootstrap.seed}), each model's GLM refitted at its own full-data C.</p>
${c.warnings.map((x) => `<p class="warn">${e(x)}</p>`).join('\n')}
<section class="cards">
<div class="card main"><div class="k">ΔLC (B − A)</div><div class="v" id="delta-lc">${sign(c.delta_length_controlled_winrate)}</div><div class="d">95 % CI [${fixed(c.ci95[0])}, ${fixed(c.ci95[1])}] · p = ${pv(c.p_value)}</div></div>
<div class="card"><div class="k">LC win rate</div><div class="v">${fixed(c.a.length_controlled_winrate)} → ${fixed(c.b.length_controlled_winrate)}</div></div>
<div class="card"><div class="k">Δ win rate</div><div class="v">${sign(c.delta_win_rate)}</div><div class="d">95 % CI [${fixed(c.win_rate_ci95[0])}, ${fixed(c.win_rate_ci95[1])}] · p = ${pv(c.win_rate_p_value)}</div></div>
</section>
<p id="verdict">${verdictBadge(c.verdict)}</p>
<p class="small">Paired raw preferences: t-test mean ${sign(t.mean)} [${fixed(t.ci95[0])}, ${fixed(t.ci95[1])}], p = ${pv(t.p)}; sign test ${s.better} better / ${s.worse} worse / ${s.equal} equal, p = ${pv(s.p)}.</p>
<h2>What changed</h2>
<p id="length-drift">Average output length ${fixed(w.length.avgA, 0)} → ${fixed(w.length.avgB, 0)} characters (${sign(w.length.delta)}).
${share === null ? '' : `The raw win rate moved ${sign(w.length.deltaWinRate)} points and LC ${sign(w.length.deltaLc)}: ${fixed(share * 100, 0)} % of the raw change is what the length control takes out.`}</p>
<h3>Paired change per dataset</h3>
<table id="by-dataset"><thead><tr><th>dataset</th><th class="n">shared</th><th class="n">Δ win rate</th><th class="n">95 % CI</th><th class="n">p (t-test)</th></tr></thead><tbody>
${datasets}
</tbody></table>
<h3>Flip explorer</h3>
<p class="small">${w.counts.toWin} instructions went from a loss to a win, ${w.counts.toLoss} from a win to a loss (preference below / above 1.5).</p>
<div class="ex-controls"><select id="flip-direction" aria-label="direction"><option value="">both directions</option><option value="win">loss → win</option><option value="loss">win → loss</option></select>
<select id="flip-dataset" aria-label="dataset"><option value="">all datasets</option>${dsOptions}</select>
<input id="flip-search" type="search" placeholder="search text" aria-label="search"> <span id="flip-count" class="small muted"></span></div>
<div class="ex-wrap"><div class="flip-list" id="flip-list"></div><div class="ex-detail" id="flip-detail"></div></div>
<footer>Rendered by alpaca-eval-pipeline (aep compare).</footer>
</main>`;
  return renderPage({
    title: `${c.b.name} vs ${c.a.name} — AlpacaEval 2.0 comparison`,
    styles: `${REPORT_STYLES}\n${FLIP_STYLES}`,
    body,
    data: { 'flips-data': w.flips },
    scripts: [CLIENT_COMMON_JS, CLIENT_FLIPS_JS],
  });
}
