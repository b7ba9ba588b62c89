/**
 * Step "Render Report": renders `report.html` from the run folder and publishes it under `reports/<run-id>/` for
 * the CloudFront distribution; marks the run succeeded.
 */
import { RUN_FILES } from '../../core/run/layout.ts';
import { finishStage, startStage } from '../../core/run/manifest.ts';
import { renderRunReport } from '../../core/report/run-report.ts';
import type { MetricsDocument } from '../aggregate.ts';
import type { WorkflowDeps } from './deps.ts';
import { RunFolder } from './run-store.ts';

export interface ReportEvent {
  runPrefix: string;
}

export async function renderReportStep(deps: WorkflowDeps, event: ReportEvent, options: { reportsBaseUrl?: string } = {}) {
  const run = new RunFolder(deps.store, event.runPrefix);
  const now = () => deps.now().toISOString();
  let manifest = startStage(await run.requireManifest(), 'report', now());
  const metrics = JSON.parse(await run.require(RUN_FILES.metrics)) as MetricsDocument;
  const html = renderRunReport({ manifest, metrics, leaderboardCsv: await run.require(RUN_FILES.leaderboard), annotationsJson: await run.require(RUN_FILES.annotations) });
  await run.store.put(RUN_FILES.report, html, { contentType: 'text/html; charset=utf-8' });
  const published = `reports/${manifest.runId}/index.html`;
  await deps.store.put(published, html, { contentType: 'text/html; charset=utf-8' });
  const url = options.reportsBaseUrl ? `${options.reportsBaseUrl.replace(/\/$/, '')}/${manifest.runId}/` : run.store.locate(RUN_FILES.report);
  manifest = finishStage(manifest, 'report', now(), { details: { url } });
  manifest = { ...manifest, status: 'succeeded' };
  await run.writeManifest(manifest);
  deps.log.info('report rendered', { runId: manifest.runId, url });
  return { url, runId: manifest.runId };
}
