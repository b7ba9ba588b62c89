/**
 * The run report: a static, self-contained HTML page (no network: styles, data, the charting library and the page
 * code are inline; all model text escaped or serialised as JSON data) built from the run folder's contents.
 */
import { CLIENT_CHARTS_JS } from './client-charts.ts';
import { CLIENT_COMMON_JS } from './client-common.ts';
import { CLIENT_EXAMPLES_JS } from './client-examples.ts';
import { escapeHtml } from './html.ts';
import { renderPage } from './page-shell.ts';
import { REPORT_STYLES } from './page-styles.ts';
import { buildRunReportModel, type RunReportInput, type RunReportModel } from './report-model.ts';
import { headlineSection, leaderboardSection } from './run-sections.ts';
import { examplesSection, flagsSection, plotsSection, strengthsSection } from './run-sections-analysis.ts';

export type { RunReportInput } from './report-model.ts';

export interface RenderOptions {
  /** The charting library's browser build (Chart.js UMD), read by the caller; without it the page shows tables only. */
  chartLibrary?: string;
  /** Relative link to the model's checkpoint history page. */
  historyHref?: string;
}

/** The data the page's scripts read (numbers only, plus names that are serialised, never parsed as HTML). */
function chartData(m: RunReportModel) {
  return {
    name: m.name,
    scatter: m.leaderboard.entries
      .filter((e) => e.lc !== null && e.winRate !== null)
      .map((e) => ({ name: e.name, lc: e.lc, wr: e.winRate, kind: e.isThis ? 'mine' : e.similarSize ? 'similar' : 'other' })),
    datasets: m.perDataset.map((g) => ({ label: g.label, n: g.n, wr: g.winRate, se: g.standardError, lc: g.lcWinRate })),
    lengths: { edges: m.lengths.edges, model: m.lengths.model, reference: m.lengths.reference },
    preferences: { edges: m.preferences.edges, counts: m.preferences.counts },
    buckets: m.lengthBuckets.map((g) => ({ label: g.label, n: g.n, wr: g.winRate, se: g.standardError })),
  };
}

function rowData(m: RunReportModel) {
  return m.rows.map((r) => ({
    q: r.instruction, d: r.dataset, m: r.model, r: r.reference, p: r.preference, g: r.glm, lm: r.lengthModel, lr: r.lengthReference, f: r.flags,
  }));
}

export function renderRunReportModel(m: RunReportModel, options: RenderOptions = {}): string {
  const charts = options.chartLibrary !== undefined && options.chartLibrary.trim() !== '';
  const nav = ['headline:Headline', 'standing:Leaderboard', 'plots:Plots', 'strengths:Strengths & weaknesses', 'examples:Examples', 'flags:Manipulation flags']
    .map((s) => s.split(':') as [string, string])
    .map(([id, label]) => `<a href="#${id}">${escapeHtml(label)}</a>`).join('');
  const history = options.historyHref ? `<a href="${escapeHtml(options.historyHref)}">Checkpoint history</a>` : '';
  const body = `<nav class="toc">${nav}${history}</nav>
<main>
${headlineSection(m, { history: options.historyHref })}
${leaderboardSection(m.leaderboard)}
${plotsSection(m, charts)}
${strengthsSection(m)}
${examplesSection(m)}
${flagsSection(m.manipulation, m)}
<footer>AlpacaEval 2.0 run report · rendered from the run folder <code>${escapeHtml(m.runId)}</code> · stages: ${m.stages
    .map((s) => `${escapeHtml(s.name)} ${escapeHtml(s.status)}${s.seconds === null ? '' : ` (${s.seconds.toFixed(1)} s)`}`).join(', ')}</footer>
</main>`;
  return renderPage({
    title: `AlpacaEval 2.0 — ${m.name}`,
    styles: REPORT_STYLES,
    body,
    data: {
      'report-data': chartData(m),
      'report-rows': rowData(m),
      'report-markers': Object.fromEntries(m.manipulation.markers.map((k) => [k.id, k.label])),
    },
    scripts: [...(charts ? [options.chartLibrary!] : []), CLIENT_COMMON_JS, CLIENT_CHARTS_JS, CLIENT_EXAMPLES_JS],
  });
}

/** Builds the model from the run folder's contents and renders the page. */
export function renderRunReport(input: RunReportInput, options: RenderOptions = {}): string {
  return renderRunReportModel(buildRunReportModel(input), options);
}
