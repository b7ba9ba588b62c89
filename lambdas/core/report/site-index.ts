/**
 * The front page of the report site (`reports/index.html`, CloudFront's default root object): every model in the
 * results store with a link to its checkpoint history, and each run with its status, LC and raw win rate, a link to
 * its report, or why it failed. Self-contained like the other pages (no script at all), and mutable: published
 * with a no-cache Cache-Control, whereas a run's own report never changes and is cached long.
 */
import { escapeHtml as e, fixed } from './html.ts';
import { renderPage } from './page-shell.ts';
import { REPORT_STYLES } from './page-styles.ts';

/** Cache-Control of published pages: a run's report is immutable; the index and history pages change with each run. */
export const REPORT_CACHE_CONTROL = {
  immutable: 'public, max-age=31536000, immutable',
  mutable: 'no-cache',
} as const;

export interface SiteIndexRun {
  runId: string;
  createdAt: string;
  revision: string | null;
  status: string;
  lc: number | null;
  winRate: number | null;
  /** Relative link to the run's published report, or null when it has none. */
  reportHref: string | null;
  /** "stage: cause" of a failed run. */
  failure: string | null;
}

export interface SiteIndexModel {
  model: string;
  historyHref: string | null;
  runs: SiteIndexRun[];
}

function statusCell(r: SiteIndexRun): string {
  if (r.status === 'failed') return `<span class="badge failed">failed</span> <span class="small">${e(r.failure ?? '')}</span>`;
  if (r.status === 'succeeded') return '<span class="badge win">succeeded</span>';
  return `<span class="badge">${e(r.status)}</span>`;
}

export function renderSiteIndex(models: readonly SiteIndexModel[], generatedAt: string): string {
  const sections = [...models].sort((a, b) => a.model.localeCompare(b.model)).map((m) => {
    const runs = [...m.runs].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.runId < b.runId ? 1 : -1));
    const rows = runs.map((r) => `<tr><td>${e(r.createdAt.slice(0, 16).replace('T', ' '))}</td><td><code>${e(r.revision ?? '–')}</code></td>`
      + `<td>${r.reportHref ? `<a href="${e(r.reportHref)}">${e(r.runId)}</a>` : e(r.runId)}</td>`
      + `<td class="n">${r.lc === null ? '–' : fixed(r.lc)}</td><td class="n">${r.winRate === null ? '–' : fixed(r.winRate)}</td><td>${statusCell(r)}</td></tr>`).join('\n');
    const title = m.historyHref ? `<a href="${e(m.historyHref)}">${e(m.model)}</a>` : e(m.model);
    return `<section class="model"><h2>${title} <span class="muted small">${runs.length} run(s)${m.historyHref ? ' · checkpoint history' : ''}</span></h2>
<div class="scroll"><table><thead><tr><th>date (UTC)</th><th>checkpoint</th><th>run report</th><th class="n">LC win rate</th><th class="n">win rate</th><th>status</th></tr></thead><tbody>
${rows}
</tbody></table></div></section>`;
  }).join('\n');
  const body = `<main>
<h1>AlpacaEval 2.0 <span class="muted">reports</span></h1>
<p class="sub">Every model and run in the results store, newest run first. Win rates against the GPT-4 Turbo reference; LC = length-controlled.</p>
${sections || '<p class="muted" id="no-runs">No run yet.</p>'}
<footer>Rendered by alpaca-eval-pipeline at ${e(generatedAt)} from the run folders under <code>runs/</code>.</footer>
</main>`;
  return renderPage({ title: 'AlpacaEval 2.0 reports', styles: REPORT_STYLES, body, data: {}, scripts: [] });
}
