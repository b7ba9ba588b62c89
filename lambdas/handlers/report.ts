/** Lambda "Render Report": report.html in the run folder and under reports/ for CloudFront. */
import { renderReportStep, type ReportEvent } from '../services/workflow/render-report.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('report', (deps, event: ReportEvent) =>
  renderReportStep(deps, event, { reportsBaseUrl: process.env.REPORTS_BASE_URL }));
