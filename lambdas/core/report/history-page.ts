/**
 * The checkpoint history page of one model (`reports/<model>/index.html`): runs table, LC over checkpoints with
 * error bars, and the paired significance test between consecutive runs. Self-contained like the run report.
 */
import { CLIENT_COMMON_JS } from './client-common.ts';
import type { HistoryModel } from './history-model.ts';
import { escapeHtml as e, fixed } from './html.ts';
import { renderPage } from './page-shell.ts';
import { REPORT_STYLES } from './page-styles.ts';
import { int, usd } from './run-sections.ts';

const CLIENT_HISTORY_JS = String.raw`
(function () {
  'use strict';
  if (!AEP.chartsAvailable) return;
  var d = AEP.readJson('history-data');
  var el = document.getElementById('chart-history');
  if (!el || !d.points.length) return;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  // the bootstrap interval when the run has one, else ±1.96 standard errors
  var lc = d.points.map(function (p) { return p.lc; }), lcErr = d.points.map(function (p) { return p.lcCi || 1.96 * p.lcSe; });
  var wr = d.points.map(function (p) { return p.wr; }), wrErr = d.points.map(function (p) { return p.wrCi || 1.96 * p.wrSe; });
  new Chart(el, {
    type: 'line',
    data: { labels: d.points.map(function (p) { return p.label; }), datasets: [
      { label: 'LC win rate (95 % error bars)', data: lc, errorBars: lcErr, borderColor: '#c62828', backgroundColor: '#c62828', pointRadius: 4 },
      { label: 'win rate (95 % error bars)', data: wr, errorBars: wrErr, borderColor: 'rgba(25,118,210,0.8)', backgroundColor: 'rgba(25,118,210,0.8)', pointRadius: 3, borderDash: [5, 4] }
    ] },
    options: { scales: { x: { title: { display: true, text: 'checkpoint (oldest first)' } },
      y: { min: 0, max: Math.max(AEP.upper(lc, lcErr), AEP.upper(wr, wrErr)), title: { display: true, text: 'win rate' } } } },
    plugins: [AEP.errorBars]
  });
})();
`;

function verdict(c: HistoryModel['comparisons'][number], alpha: number): string {
  if (c.lc) {
    switch (c.verdict) {
      case 'better': return '<span class="badge win">better: the 95 % interval of ΔLC is above 0</span>';
      case 'worse': return '<span class="badge loss">worse: the 95 % interval of ΔLC is below 0</span>';
      default: return '<span class="badge tie">no detectable LC change: the 95 % interval of ΔLC contains 0</span>';
    }
  }
  const t = c.result.tTest;
  if (c.result.shared < 2 || Number.isNaN(t.p)) return '<span class="badge">too few shared rows</span>';
  const pct = `${alpha * 100} %`;
  switch (c.verdict) {
    case 'better': return `<span class="badge win">better: both tests significant at ${pct}</span>`;
    case 'worse': return `<span class="badge loss">worse: both tests significant at ${pct}</span>`;
    case 'no change': return '<span class="badge tie">no significant change</span>';
    default: return `<span class="badge">tests disagree at ${pct}: read Δ and the counts</span>`;
  }
}

/** The 95 % bootstrap interval when there is one, else ± the standard error. */
function interval(ci: [number, number] | null | undefined, se: number): string {
  return ci ? `<span class="small">[${fixed(ci[0])}, ${fixed(ci[1])}]</span>` : `± ${fixed(se)}`;
}

function pValue(p: number): string {
  if (Number.isNaN(p)) return '–';
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

export function renderHistoryPage(h: HistoryModel, options: { chartLibrary?: string } = {}): string {
  const charts = options.chartLibrary !== undefined && options.chartLibrary.trim() !== '';
  const runRows = h.runs.map((r) => {
    const m = r.metrics;
    const link = r.reportHref ? `<a href="${e(r.reportHref)}">${e(r.runId)}</a>` : e(r.runId);
    return `<tr><td data-v="${e(r.createdAt)}">${e(r.createdAt.slice(0, 16).replace('T', ' '))}</td><td data-v="${e(r.checkpoint)}"><code>${e(r.checkpoint)}</code></td><td>${link}</td>`
      + `<td class="n" data-v="${m ? m.lc : ''}">${m ? `${fixed(m.lc)} ${interval(m.lcCi95, m.lcSe)}` : '–'}</td><td class="n" data-v="${m ? m.winRate : ''}">${m ? `${fixed(m.winRate)} ${interval(m.winRateCi95, m.winRateSe)}` : '–'}</td>`
      + `<td class="n" data-v="${m ? m.avgLength : ''}">${m ? int(m.avgLength) : '–'}</td><td class="n" data-v="${r.costUsd}">${usd(r.costUsd)}</td><td>${m ? '' : e(r.status)}<span class="small muted">${e(r.settings)}</span></td></tr>`;
  }).join('\n');
  const cmpRows = h.comparisons.map((c) => {
    const t = c.result.tTest;
    const s = c.result.signTest;
    const lcCells = c.lc
      ? `<td class="n">${c.lc.delta >= 0 ? '+' : ''}${fixed(c.lc.delta)}</td><td class="n">[${fixed(c.lc.ci95[0])}, ${fixed(c.lc.ci95[1])}]</td><td class="n">${pValue(c.lc.p)}</td>`
      : '<td class="n">–</td><td class="n">–</td><td class="n">–</td>';
    return `<tr><td><code>${e(c.fromCheckpoint)}</code> → <code>${e(c.toCheckpoint)}</code>${c.sameSettings ? '' : ' <span class="badge loss">settings differ</span>'}</td>${lcCells}<td class="n">${int(c.result.shared)}</td>`
      + `<td class="n">${t.mean >= 0 ? '+' : ''}${fixed(t.mean)}</td><td class="n">[${fixed(t.ci95[0])}, ${fixed(t.ci95[1])}]</td><td class="n">${fixed(t.t)}</td><td class="n">${pValue(t.p)}</td>`
      + `<td class="n">${s.better} / ${s.worse} / ${s.equal}</td><td class="n">${pValue(s.p)}</td><td>${verdict(c, h.alpha)}${c.lc?.href ? ` <a class="small" href="${e(c.lc.href)}">what changed</a>` : ''}</td></tr>`;
  }).join('\n');
  const points = h.runs.filter((r) => r.metrics).map((r) => ({
    label: r.checkpoint.slice(0, 14), lc: r.metrics!.lc, lcSe: r.metrics!.lcSe, wr: r.metrics!.winRate, wrSe: r.metrics!.winRateSe,
    lcCi: r.metrics!.lcCi95 ?? null, wrCi: r.metrics!.winRateCi95 ?? null,
  }));
  const body = `<main>
<h1>${e(h.model)} <span class="muted">checkpoint history</span></h1>
<p class="sub">${h.runs.length} run(s) of this model in the results store, oldest first. AlpacaEval 2.0 against the GPT-4 Turbo reference.</p>
${charts ? '' : '<p class="note" id="no-charts">The charting library was not available when this page was rendered: the numbers are in the tables.</p>'}
<figure><figcaption>LC win rate over checkpoints</figcaption><div class="chart"><canvas id="chart-history" role="img" aria-label="LC win rate over checkpoints"></canvas></div></figure>
<h2>Runs</h2>
<div class="scroll"><table id="history-runs"><thead><tr><th data-sort="text">date (UTC)</th><th data-sort="text">checkpoint</th><th>run report</th><th data-sort="num" class="n">LC win rate</th><th data-sort="num" class="n">win rate</th><th data-sort="num" class="n">avg length</th><th data-sort="num" class="n">judge cost</th><th>status / settings</th></tr></thead><tbody>
${runRows}
</tbody></table></div>
<h2>Is the change real?</h2>
<p class="small">For two consecutive runs, the per-instruction judge preferences are paired over the instructions both judged (failed judgements dropped). Δ is the mean of (preference<sub>new</sub> − preference<sub>old</sub>) × 100: the change of the raw win rate in points over the shared instructions. <b>Paired t-test</b> (two-sided, n − 1 degrees of freedom) gives t, its p-value and the 95 % confidence interval of Δ; the exact two-sided <b>sign test</b> (better / worse / equal rows) checks the same without assuming normality. <b>ΔLC</b> is the change of the LC win rate with its 95 % interval and two-sided p-value from a paired bootstrap over the shared instructions (the same resample for both runs, each run's GLM refitted at its own C, as <code>aep compare</code> does); when it is there it decides the verdict: better or worse when its interval excludes 0. Without it (runs without lc_glm.json), a change is called better or worse when both raw-preference tests have p &lt; ${h.alpha} in the same direction; when only one does, the tests disagree (typically: most instructions moved one way by a little, a few the other way by a lot).</p>
${h.comparisons.length ? `<table id="history-tests"><thead><tr><th>runs</th><th class="n">ΔLC</th><th class="n">95 % CI (bootstrap)</th><th class="n">p (bootstrap)</th><th class="n">shared</th><th class="n">Δ win rate</th><th class="n">95 % CI</th><th class="n">t</th><th class="n">p (t-test)</th><th class="n">better / worse / equal</th><th class="n">p (sign test)</th><th>verdict</th></tr></thead><tbody>
${cmpRows}
</tbody></table>` : '<p class="muted" id="history-tests-none">Fewer than two finished runs: nothing to compare yet.</p>'}
<footer>Rendered by alpaca-eval-pipeline from the run folders under <code>runs/</code>.</footer>
</main>`;
  return renderPage({
    title: `${h.model} — AlpacaEval 2.0 checkpoint history`,
    styles: REPORT_STYLES,
    body,
    data: { 'history-data': { model: h.model, points } },
    scripts: [...(charts ? [options.chartLibrary!] : []), CLIENT_COMMON_JS, CLIENT_HISTORY_JS],
  });
}
