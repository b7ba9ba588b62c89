/**
 * Step "Render Report": renders `report.html` from the run folder, publishes it under `reports/<run-id>/` for the
 * CloudFront distribution together with the model's checkpoint history (`reports/<model>/`), and marks the run
 * succeeded.
 */
import { finishStage, startStage } from '../../core/run/manifest.ts';
import { loadChartLibrary } from '../report/chart-library.ts';
import { publishRunReport } from '../report/publish-report.ts';
import type { WorkflowDeps } from './deps.ts';
import { RunFolder } from './run-store.ts';

export interface ReportEvent {
  runPrefix: string;
}

export async function renderReportStep(
  deps: WorkflowDeps,
  event: ReportEvent,
  options: { reportsBaseUrl?: string; chartLibrary?: string } = {},
) {
  const run = new RunFolder(deps.store, event.runPrefix);
  const now = () => deps.now().toISOString();
  let manifest = startStage(await run.requireManifest(), 'report', now());
  const chartLibrary = options.chartLibrary ?? (await loadChartLibrary());
  if (chartLibrary === undefined) deps.log.warn('chart.js is not installed next to the code: the report has tables but no charts');
  const published = await publishRunReport(deps.store, event.runPrefix, {
    chartLibrary, reportsBaseUrl: options.reportsBaseUrl, bootstrap: deps.replicateRunner ? { runner: deps.replicateRunner } : undefined,
  });
  for (const s of published.historyLcSkipped) deps.log.warn('history: no paired LC bootstrap for a pair of runs', { pair: s });
  const { url, historyUrl } = published;
  manifest = finishStage(manifest, 'report', now(), { details: { url, historyUrl, historyRuns: published.historyRuns, charts: chartLibrary !== undefined } });
  manifest = { ...manifest, status: 'succeeded' };
  await run.writeManifest(manifest);
  deps.log.info('report rendered', { runId: manifest.runId, url, historyUrl });
  return { url, runId: manifest.runId };
}
