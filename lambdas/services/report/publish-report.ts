/**
 * Renders a run's report and its model's checkpoint history from a results store, and writes them:
 * `runs/<id>/report.html`, `reports/<id>/index.html` and `reports/<model>/index.html` (the last two are what the
 * stack's CloudFront serves). Used by the workflow's Render Report step and by `aep report`. Does not touch the
 * run manifest.
 */
import { DEFAULT_BOOTSTRAP_REPLICATES } from '../../core/metrics/glm/bootstrap.ts';
import { buildHistoryModel, consecutivePairs, historyKey } from '../../core/report/history-model.ts';
import { renderHistoryPage } from '../../core/report/history-page.ts';
import { buildRunReportModel, type ReportMetrics, type RunReportModel } from '../../core/report/report-model.ts';
import { renderRunReportModel } from '../../core/report/run-report.ts';
import { RUN_FILES, runPrefix as runPrefixOf } from '../../core/run/layout.ts';
import type { BlobStore } from '../../ports.ts';
import { RunFolder } from '../workflow/run-store.ts';
import { inThreadRunner, type BootstrapSettings } from '../lc-bootstrap.ts';
import { REPORT_CACHE_CONTROL, renderSiteIndex, type SiteIndexModel } from '../../core/report/site-index.ts';
import type { RunManifest } from '../../core/run/manifest.ts';
import { allManifests, historyEntry, lcPairComparisons, manifestsOfModel } from './run-history.ts';

const HTML = { contentType: 'text/html; charset=utf-8' };
/** A run's published report never changes; the history and index pages change with every run. */
const IMMUTABLE_HTML = { ...HTML, cacheControl: REPORT_CACHE_CONTROL.immutable };
const MUTABLE_HTML = { ...HTML, cacheControl: REPORT_CACHE_CONTROL.mutable };
/** The report site's front page: CloudFront's default root object. */
export const SITE_INDEX_KEY = 'reports/index.html';

export interface PublishReportOptions {
  /** Chart.js's browser build (see chart-library.ts); without it the pages have tables but no charts. */
  chartLibrary?: string;
  /** Public base URL of `reports/` (the CloudFront distribution), for the returned URLs. */
  reportsBaseUrl?: string;
  /** The paired LC bootstrap between consecutive checkpoints (default: 1000 replicates in this thread; 0 = off). */
  bootstrap?: Partial<BootstrapSettings>;
}

export interface PublishedReport {
  runId: string;
  model: RunReportModel;
  /** Keys in the store. */
  keys: { report: string; published: string; history: string; index: string };
  /** Where a person opens them: the public URL when a base URL is given, else the store location. */
  url: string;
  historyUrl: string;
  /** Runs on the history page. */
  historyRuns: number;
  /** Consecutive pairs the paired LC bootstrap could not be computed for (why), shown with the raw tests only. */
  historyLcSkipped: string[];
}

export async function publishRunReport(store: BlobStore, runPrefix: string, options: PublishReportOptions = {}): Promise<PublishedReport> {
  const run = new RunFolder(store, runPrefix);
  const manifest = await run.requireManifest();
  const metricsText = await run.require(RUN_FILES.metrics);
  const annotationsJson = await run.require(RUN_FILES.annotations);
  const model = buildRunReportModel({
    manifest,
    metrics: JSON.parse(metricsText) as ReportMetrics,
    leaderboardCsv: await run.require(RUN_FILES.leaderboard),
    annotationsJson,
    lcGlmJson: await run.text(RUN_FILES.lcGlm),
    generationJson: await run.text(RUN_FILES.generation),
    judgeTemplate: await run.text(RUN_FILES.judgeTemplate),
  });
  const family = historyKey(manifest.config.model);
  const keys = { report: `${runPrefix}${RUN_FILES.report}`, published: `reports/${manifest.runId}/index.html`, history: `reports/${family}/index.html`, index: SITE_INDEX_KEY };

  // the run folder is runs/<id>/ and the published copy reports/<id>/: both reach the history page relatively
  const chartLibrary = options.chartLibrary;
  await run.store.put(RUN_FILES.report, renderRunReportModel(model, { chartLibrary, historyHref: `../../reports/${family}/index.html` }), HTML);
  await store.put(keys.published, renderRunReportModel(model, { chartLibrary, historyHref: `../${family}/index.html` }), IMMUTABLE_HTML);

  const manifests = await manifestsOfModel(store, manifest.config.model);
  if (!manifests.some((m) => m.runId === manifest.runId)) manifests.push(manifest);
  const reportHref = async (runId: string) =>
    runId === manifest.runId || (await store.list(`reports/${runId}/`)).includes(`reports/${runId}/index.html`) ? `../${runId}/index.html` : null;
  const entries = [];
  for (const m of manifests) {
    const current = m.runId === manifest.runId;
    const entry = await historyEntry(store, current ? manifest : m, { reportHref, known: current ? { metrics: metricsText, annotations: annotationsJson } : undefined });
    // this run is finishing now: its manifest still says "running"
    entries.push(current ? { ...entry, status: 'succeeded' } : entry);
  }
  const replicates = options.bootstrap?.replicates ?? DEFAULT_BOOTSTRAP_REPLICATES;
  const lc = replicates > 0
    ? await lcPairComparisons(store, consecutivePairs(entries), { ...options.bootstrap, replicates, runner: options.bootstrap?.runner ?? inThreadRunner }, {
      pagesPrefix: `reports/${family}/`,
    })
    : { results: undefined, skipped: [] };
  const history = buildHistoryModel({ model: manifest.config.model, runs: entries, lcComparisons: lc.results });
  await store.put(keys.history, renderHistoryPage(history, { chartLibrary }), MUTABLE_HTML);
  await publishSiteIndex(store, { finishing: manifest.runId });

  const base = options.reportsBaseUrl?.replace(/\/$/, '');
  return {
    runId: manifest.runId, model, keys,
    // CloudFront serves index.html only for the root, so links name the file
    url: base ? `${base}/${manifest.runId}/index.html` : store.locate(keys.report),
    historyUrl: base ? `${base}/${family}/index.html` : store.locate(keys.history),
    historyRuns: entries.length,
    historyLcSkipped: lc.skipped,
  };
}


/**
 * Writes the report site's front page (`reports/index.html`): every model with its history page and every run with
 * its status, win rates, report link or failure. `finishing` names a run whose report is being published now (its
 * manifest still says running).
 */
export async function publishSiteIndex(store: BlobStore, options: { finishing?: string; now?: Date } = {}): Promise<string> {
  const published = new Set(await store.list('reports/'));
  const byModel = new Map<string, SiteIndexModel>();
  for (const m of await allManifests(store)) {
    const model = m.config.model;
    let entry = byModel.get(model);
    if (!entry) {
      const history = `${historyKey(model)}/index.html`;
      entry = { model, historyHref: published.has(`reports/${history}`) ? history : null, runs: [] };
      byModel.set(model, entry);
    }
    const status = m.runId === options.finishing ? 'succeeded' : m.status;
    const metrics = status === 'succeeded' ? await metricsOf(store, m) : null;
    const report = `${m.runId}/index.html`;
    entry.runs.push({
      runId: m.runId, createdAt: m.createdAt, revision: m.config.revision ?? null, status,
      lc: metrics?.lc ?? null, winRate: metrics?.winRate ?? null,
      reportHref: published.has(`reports/${report}`) ? report : null,
      failure: status === 'failed' && m.failure ? `${m.failure.stage}: ${m.failure.cause}` : null,
    });
  }
  await store.put(SITE_INDEX_KEY, renderSiteIndex([...byModel.values()], (options.now ?? new Date()).toISOString()), MUTABLE_HTML);
  return SITE_INDEX_KEY;
}

async function metricsOf(store: BlobStore, m: RunManifest): Promise<{ lc: number; winRate: number } | null> {
  const body = await store.get(`${runPrefixOf(m.runId)}${RUN_FILES.metrics}`);
  if (!body) return null;
  try {
    const d = JSON.parse(body.toString('utf8')) as { length_controlled_winrate?: unknown; win_rate?: unknown };
    return typeof d.length_controlled_winrate === 'number' && typeof d.win_rate === 'number' ? { lc: d.length_controlled_winrate, winRate: d.win_rate } : null;
  } catch {
    return null;
  }
}
