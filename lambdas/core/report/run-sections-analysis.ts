/**
 * HTML of the run report's analysis sections: plots (canvases drawn by the client script, each with its numbers
 * in a table that works without scripts), strengths and weaknesses, the examples browser's frame, and the
 * judge-manipulation flags. All run text goes through escapeHtml.
 */
import { escapeHtml as e, fixed } from './html.ts';
import type { ManipulationReport } from './manipulation.ts';
import type { GroupStat } from './report-stats.ts';
import type { RunReportModel } from './report-model.ts';
import { int } from './run-sections.ts';
import type { ExampleRef, GroupFinding } from './strengths.ts';

function table(id: string, head: string[], rows: string[][], cls = 'compact'): string {
  return `<table id="${id}" class="${cls}"><thead><tr>${head.map((h, i) => `<th class="${i ? 'n' : ''}">${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td class="${i ? 'n' : ''}">${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function figure(id: string, caption: string, dataTable: string, note = ''): string {
  return `<figure><figcaption>${caption}</figcaption><div class="chart"><canvas id="${id}" role="img" aria-label="${e(caption)}"></canvas></div>${note}
<details class="data"><summary>numbers</summary>${dataTable}</details></figure>`;
}

const groupRows = (gs: GroupStat[], lc: boolean) =>
  gs.map((g) => [e(g.label), int(g.n), fixed(g.winRate), fixed(g.standardError), ...(lc ? [fixed(g.lcWinRate)] : [])]);

export function plotsSection(m: RunReportModel, chartsAvailable: boolean): string {
  const hasLc = m.perDataset.some((g) => g.lcWinRate !== null);
  const L = m.lengths;
  const binLabel = (i: number) => (i + 1 < L.edges.length ? `${L.edges[i]}–${L.edges[i + 1]! - 1}` : `≥ ${L.edges[i]}`);
  const P = m.preferences;
  return `<section id="plots"><h2>Plots</h2>
${chartsAvailable ? '' : '<p class="note" id="no-charts">The charting library was not available when this page was rendered: the numbers are in the tables below each plot.</p>'}
<div class="grid2">
${figure('chart-scatter', 'LC win rate vs win rate, every leaderboard model', `<p class="small">This model: LC ${fixed(m.headline.lc.value)}, win rate ${fixed(m.headline.winRate.value)}. Points above the diagonal gain from length control (their outputs are short); below it, they are penalised for length.</p>`)}
${figure('chart-datasets', 'Win rate by source dataset (95 % error bars)', table('table-datasets', ['dataset', 'rows', 'win rate', 'SE', ...(hasLc ? ['LC win rate'] : [])], groupRows(m.perDataset, hasLc)))}
${figure('chart-lengths', 'Output length distribution (code points)', table('table-lengths', ['length', 'model', 'reference'], L.edges.map((_, i) => [binLabel(i), int(L.model[i]), int(L.reference[i])])),
    `<p class="small muted">Model: mean ${int(L.summary.model.mean)}, median ${int(L.summary.model.median)}, 90th percentile ${int(L.summary.model.p90)}. Reference: mean ${int(L.summary.reference.mean)}, median ${int(L.summary.reference.median)}, 90th percentile ${int(L.summary.reference.p90)}.</p>`)}
${figure('chart-preferences', 'Judge preference histogram (1 = reference better, 2 = model better)', table('table-preferences', ['preference', 'rows'], P.counts.map((c, i) => [`${P.edges[i]!.toFixed(1)}–${P.edges[i + 1]!.toFixed(1)}`, int(c)])),
    `<p class="small muted">${int(P.ties)} exact ties (1.5) · ${int(P.failed)} rows without a judgement.</p>`)}
${figure('chart-buckets', 'Win rate by length difference, model − reference (code points)', table('table-buckets', ['length difference', 'rows', 'win rate', 'SE'], groupRows(m.lengthBuckets, false)))}
</div></section>`;
}

function exampleText(x: ExampleRef | null): string {
  if (!x) return '';
  return `<span class="quote" title="${e(x.instruction.slice(0, 300))}">e.g. #${x.row + 1} (${fixed(x.preference)}): “${e(x.instruction.slice(0, 160))}”</span>`;
}

function findingItem(g: GroupFinding): string {
  const sign = g.delta >= 0 ? '+' : '−';
  return `<li><b>${e(g.label)}</b> <span class="badge">${g.kind}</span> — win rate ${fixed(g.winRate)} ± ${fixed(g.standardError)} (${sign}${fixed(Math.abs(g.delta))} vs overall, ${int(g.n)} rows)${exampleText(g.example)}</li>`;
}

function exampleList(xs: ExampleRef[]): string {
  return `<ol>${xs.map((x) => `<li><a href="#examples" data-row="${x.row}" class="jump">#${x.row + 1}</a> <span class="badge">${e(x.dataset)}</span> preference ${fixed(x.preference, 3)}<span class="quote">${e(x.instruction.slice(0, 200))}</span></li>`).join('')}</ol>`;
}

export function strengthsSection(m: RunReportModel): string {
  const s = m.strengths;
  const none = '<p class="muted">None: no group (of at least 20 rows) is on this side of the overall win rate.</p>';
  return `<section id="strengths"><h2>Strengths &amp; weaknesses</h2>
<p class="small muted">Groups: the five source datasets and keyword-based instruction categories (a heuristic; a row can be in several) with at least 20 rows, compared with the overall win rate ${fixed(s.overallWinRate)}. A difference smaller than about two standard errors may be noise.</p>
<div class="sw"><div><h3>Where it wins most</h3>${s.strengths.length ? `<ol id="strength-list">${s.strengths.map(findingItem).join('')}</ol>` : none}
<h3>Most decisive wins</h3>${exampleList(s.bestWins)}</div>
<div><h3>Where it loses most</h3>${s.weaknesses.length ? `<ol id="weakness-list">${s.weaknesses.map(findingItem).join('')}</ol>` : none}
<h3>Most decisive losses</h3>${exampleList(s.worstLosses)}</div></div>
<details class="data"><summary>all groups</summary>${table('table-groups', ['group', 'rows', 'win rate', 'SE', 'Δ vs overall'], s.groups.map((g) => [`${e(g.label)} <span class="badge">${g.kind}</span>`, int(g.n), fixed(g.winRate), fixed(g.standardError), fixed(g.delta)]))}</details>
</section>`;
}

export function examplesSection(m: RunReportModel): string {
  const datasets = [...new Set(m.rows.map((r) => r.dataset))].sort();
  const opt = (v: string, label: string) => `<option value="${e(v)}">${e(label)}</option>`;
  return `<section id="examples"><h2>Examples</h2>
<div class="ex-controls">
<input type="search" id="ex-search" placeholder="Search instructions and outputs…" aria-label="search">
<select id="ex-dataset" aria-label="dataset">${opt('', 'all datasets')}${datasets.map((d) => opt(d, d)).join('')}</select>
<select id="ex-outcome" aria-label="outcome">${opt('', 'all outcomes')}${opt('win', 'model wins')}${opt('loss', 'model loses')}${opt('tie', 'ties')}${opt('failed', 'no judgement')}${opt('flagged', 'manipulation flags')}</select>
<select id="ex-sort" aria-label="sort">${opt('row', 'eval order')}${opt('pref-desc', 'preference, high to low')}${opt('pref-asc', 'preference, low to high')}${opt('len-desc', 'length difference, high to low')}</select>
<span id="ex-count" class="muted" aria-live="polite"></span>
</div>
<div class="ex-wrap"><div class="ex-list" id="ex-list" tabindex="0" aria-label="rows"><div id="ex-spacer"></div></div>
<div class="ex-detail" id="ex-detail"><p class="muted">Select a row.</p></div></div>
<noscript><p class="note">The examples browser needs JavaScript.</p></noscript>
</section>`;
}

export function flagsSection(r: ManipulationReport, m: RunReportModel): string {
  if (!r.templateKnown) return '<section id="flags"><h2>Judge-manipulation flags</h2><p class="note">The judge template was not available, so no markers were checked.</p></section>';
  const markerRows = r.markers.map((k) => [`<code>${e(k.label)}</code>`, k.kind, int(k.rows)]);
  const shown = r.flaggedRows.slice(0, 50);
  const list = shown.map((i) => {
    const row = m.rows[i]!;
    const labels = row.flags.map((id) => r.markers.find((k) => k.id === id)?.label ?? id);
    return `<li><a href="#examples" class="jump" data-row="${i}">#${i + 1}</a> ${labels.map((l) => `<code>${e(l)}</code>`).join(' ')} · preference ${fixed(row.preference, 3)}<span class="quote">${e(row.instruction.slice(0, 200))}</span></li>`;
  }).join('');
  const verdict = r.flaggedRows.length === 0
    ? '<p id="flags-summary">No model output contains a marker of the judge template.</p>'
    : `<p class="warn" id="flags-summary"><b>${int(r.flaggedRows.length)}</b> of ${int(m.rows.length)} model outputs contain markers of the judge template (win rate on them ${fixed(r.flaggedWinRate)} vs ${fixed(m.headline.winRate.value)} overall). Such outputs can close their slot in the judge prompt and address the judge directly; check them before trusting the score.</p>`;
  return `<section id="flags"><h2>Judge-manipulation flags</h2>
<p class="small muted">Markers derived from the judge template this run used: its chat tokens, candidate identifiers, the sequences that open and close an output slot, and its multi-word headings.</p>
${verdict}
${table('table-markers', ['marker', 'kind', 'outputs'], markerRows)}
${shown.length ? `<h3>Flagged outputs${r.flaggedRows.length > shown.length ? ` (first ${shown.length})` : ''}</h3><ol id="flag-list">${list}</ol>` : ''}
</section>`;
}
