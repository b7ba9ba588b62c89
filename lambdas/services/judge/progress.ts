/** The live tally of a judge run, its compact progress line and its closing summary (text for stderr). */
import { formatDuration } from '../../core/format/duration.ts';
import type { MatchReport } from '../../core/eval-set/match.ts';
import { withProgressBar, type ProgressFormat } from '../../core/generation/progress.ts';
import type { FailedRow } from './errors.ts';
import type { SchedulerStats } from './scheduler.ts';

/** Counts in rows (a prompt shared by duplicate rows counts once per row). */
export interface JudgeTally {
  total: number;
  identical: number;
  cached: number;
  /** Judged by the API in this run (real-time or batch), parser NaN included. */
  judged: number;
  /** Judged rows whose completion had no usable m/M logprobs (preference NaN → null). */
  nan: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** Paid in this run. */
  costUsd: number;
  /** False when some paid row had no known price (a custom judge model). */
  costKnown: boolean;
  elapsedMs: number;
  phase: 'cache' | 'batch' | 'real-time' | 'done';
  batch?: { id: string; status: string; completed: number; total: number };
  /** Rows the batch did not answer, retried in real time. */
  batchRetried: number;
  /** Rows left unjudged because the time budget ran out (handed back to the caller; also counted as failed rows). */
  deferred: number;
  scheduler?: SchedulerStats;
}

export function newJudgeTally(total: number): JudgeTally {
  return {
    total, identical: 0, cached: 0, judged: 0, nan: 0, failed: 0, promptTokens: 0, completionTokens: 0, costUsd: 0,
    costKnown: true, elapsedMs: 0, phase: 'cache', batchRetried: 0, deferred: 0,
  };
}

export { formatDuration };

function tokens(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n);
}

export function formatUsd(x: number): string {
  return x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`;
}

/**
 * One line, e.g. `judge 412/805 rows (51%) · 37 cached · 3 identical · 16 in flight · 2 retries · 0 failed ·
 * 512k tok · $5.1200 · 42s · eta 40s`; with `{ bar: true }` led by a progress bar (for a terminal).
 */
export function formatJudgeProgress(t: Readonly<JudgeTally>, format: ProgressFormat = {}): string {
  const line = plainJudgeProgress(t);
  return format.bar ? withProgressBar(line, format.width) : line;
}

function plainJudgeProgress(t: Readonly<JudgeTally>): string {
  const done = t.identical + t.cached + t.judged + t.failed;
  const pct = t.total > 0 ? Math.floor((100 * done) / t.total) : 100;
  const parts = [`judge ${done}/${t.total} rows (${pct}%)`, `${t.cached} cached`, `${t.identical} identical`];
  if (t.phase === 'batch' && t.batch) {
    parts.push(`batch ${t.batch.status} ${t.batch.completed}/${t.batch.total}`);
  } else if (t.scheduler) {
    parts.push(`${t.scheduler.inFlight} in flight`);
    if (t.scheduler.retries > 0) parts.push(`${t.scheduler.retries} retries`);
    if (t.scheduler.rateLimited > 0) parts.push(`${t.scheduler.rateLimited}×429`);
  }
  parts.push(`${t.failed} failed`, `${tokens(t.promptTokens + t.completionTokens)} tok`);
  if (t.costKnown) parts.push(formatUsd(t.costUsd));
  parts.push(formatDuration(t.elapsedMs));
  const fresh = t.judged + t.failed;
  const remaining = t.total - done;
  if (t.phase === 'real-time' && fresh > 0 && remaining > 0) {
    parts.push(`eta ${formatDuration((t.elapsedMs / fresh) * remaining)}`);
  }
  return parts.join(' · ');
}

/** Everything the end-of-run summary reports; also written as judge_summary.json. */
export interface JudgeSummary {
  annotator: string;
  judgeModel: string;
  comparableToLeaderboard: boolean;
  mode: 'real-time' | 'batch';
  rows: number;
  identical: number;
  cached: number;
  judged: number;
  nan: number;
  failed: number;
  /** Of the failed rows, those never tried because the time budget ran out (`timeBudgetMs`): handed back. */
  deferred?: number;
  requests: number;
  retries: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
  /** Paid in this run; null when the judge's prices are unknown. */
  costUsd: number | null;
  wallTimeMs: number;
  batch?: { id: string; status: string; retriedRealTime: number };
  match: MatchReport;
  maxInstances: number | null;
  evalSetSha256: string;
  templateSha256: string;
  /** Whether the template is the official one (its pinned SHA-256). */
  officialTemplate: boolean;
  failedRows: FailedRow[];
  /** Snapshots that answered (the responses' `model`), with how many rows each judged; empty when none answered. */
  snapshots?: Record<string, number>;
  /** Preflight warnings (a near or past shutdown of the judge model, no models API). */
  warnings?: string[];
}

function snippet(text: string, n = 60): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** The closing summary, several lines. */
export function formatJudgeSummary(s: JudgeSummary): string {
  const lines = [
    `judge: ${s.rows} rows · ${s.judged} judged (${s.nan} unparsable → NaN) · ${s.cached} cached · ${s.identical} identical `
      + `· ${s.failed} failed · ${formatDuration(s.wallTimeMs)}`,
    `  ${s.annotator} (${s.judgeModel}, ${s.mode}) · ${s.requests} requests, ${s.retries} retries, ${s.rateLimited}×429 · `
      + `${s.promptTokens} prompt + ${s.completionTokens} completion tokens · `
      + `${s.costUsd === null ? 'cost unknown (no prices for this model)' : `${formatUsd(s.costUsd)} this run`}`,
  ];
  const m = s.match;
  lines.push(`  model outputs: ${m.nModel} records → ${m.nMatched} rows matched to ${m.nReference} eval instructions`
    + (s.maxInstances !== null ? ` (--max-instances ${s.maxInstances})` : ''));
  if (m.missing.length > 0) {
    lines.push(`  ${m.missing.length} eval instruction(s) have no model output (not judged): `
      + m.missing.slice(0, 5).map((x) => `#${x.evalIndex + 1} "${snippet(x.instruction, 40)}"`).join(', ')
      + (m.missing.length > 5 ? ', …' : ''));
  }
  if (m.extra.length > 0) {
    lines.push(`  ${m.extra.length} model record(s) match no eval instruction (ignored): records `
      + m.extra.slice(0, 10).map((x) => x.modelIndex + 1).join(', ') + (m.extra.length > 10 ? ', …' : ''));
  }
  if (m.duplicates.length > 0) {
    lines.push(`  ${m.duplicates.length} instruction(s) occur several times in the model outputs: records `
      + m.duplicates.slice(0, 5).map((d) => d.modelIndices.map((i) => i + 1).join('+')).join(', '));
  }
  const snaps = Object.entries(s.snapshots ?? {});
  if (snaps.length > 0) lines.push(`  answered by: ${snaps.map(([m, n]) => `${m} (${n} rows)`).join(', ')}`);
  for (const w of s.warnings ?? []) lines.push(`  warning: ${w}`);
  if (!s.comparableToLeaderboard) lines.push('  note: this judge is not the leaderboard judge; numbers are not comparable to it');
  if (!s.officialTemplate) lines.push('  note: the judge template is not the official one (SHA-256 differs)');
  for (const r of s.failedRows.slice(0, 20)) lines.push(`  failed row ${r.index + 1} "${snippet(r.instruction)}": ${r.reason}`);
  if (s.failedRows.length > 20) lines.push(`  … and ${s.failedRows.length - 20} more failed rows`);
  return lines.join('\n');
}
