/**
 * The checkpoint history of one model: every run of it (oldest first) with its numbers, and for each two
 * consecutive finished runs the paired comparison of their per-instruction preferences (paired-test.ts), so a
 * reader can tell a real change from judge noise.
 */
import { comparePairedRuns, type PairedComparison } from './paired-test.ts';

export interface HistoryRunInput {
  runId: string;
  createdAt: string;
  /** The run's model (the family key) and its leaderboard name. */
  model: string;
  name: string;
  revision: string | null;
  status: string;
  /** Null for a run without metrics (failed or unfinished). */
  metrics: { lc: number; lcSe: number; winRate: number; winRateSe: number; nTotal: number; avgLength: number } | null;
  costUsd: number;
  /** What changes the numbers besides the checkpoint (judge, decoding), as one short text. */
  settings: string;
  /** Link to the run's report, relative to the history page; null when it has none. */
  reportHref: string | null;
  /** Per-instruction preferences (annotations.json), null when unavailable. */
  preferences: readonly { instruction: string; preference: number | null }[] | null;
}

export interface HistoryRun extends Omit<HistoryRunInput, 'preferences'> {
  /** The checkpoint label: the revision, else the run id. */
  checkpoint: string;
}

export interface HistoryComparison {
  from: string;
  to: string;
  fromCheckpoint: string;
  toCheckpoint: string;
  /** Whether the two runs used the same judge and decoding settings (else the change is not only the checkpoint's). */
  sameSettings: boolean;
  result: PairedComparison;
  /** p < alpha in the paired t-test. */
  significant: boolean;
  /**
   * Both tests significant in the same direction: `better` / `worse`; neither: `no change`; otherwise `mixed` (e.g.
   * most instructions moved one way but the mean did not move significantly).
   */
  verdict: 'better' | 'worse' | 'no change' | 'mixed';
}

function verdictOf(r: PairedComparison, alpha: number): HistoryComparison['verdict'] {
  const t = r.tTest.p < alpha;
  const s = r.signTest.p < alpha;
  if (!t && !s) return 'no change';
  const tDir = Math.sign(r.tTest.mean);
  const sDir = Math.sign(r.signTest.better - r.signTest.worse);
  if (t && s && tDir === sDir && tDir !== 0) return tDir > 0 ? 'better' : 'worse';
  return 'mixed';
}

export interface HistoryModel {
  model: string;
  runs: HistoryRun[];
  comparisons: HistoryComparison[];
  alpha: number;
}

/** The path segment of a model's history page (`reports/<key>/index.html`): the model id with unsafe characters as `-`. */
export function historyKey(model: string): string {
  return model.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'model';
}

export function buildHistoryModel(input: { model: string; runs: readonly HistoryRunInput[]; alpha?: number }): HistoryModel {
  const alpha = input.alpha ?? 0.05;
  const sorted = [...input.runs].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.runId < b.runId ? -1 : 1));
  const runs: HistoryRun[] = sorted.map(({ preferences: _p, ...r }) => ({ ...r, checkpoint: r.revision ?? r.runId }));
  const finished = sorted.filter((r) => r.metrics !== null && r.preferences !== null);
  const comparisons: HistoryComparison[] = [];
  for (let i = 1; i < finished.length; i++) {
    const a = finished[i - 1]!;
    const b = finished[i]!;
    const result = comparePairedRuns(a.preferences!, b.preferences!);
    comparisons.push({
      from: a.runId, to: b.runId, fromCheckpoint: a.revision ?? a.runId, toCheckpoint: b.revision ?? b.runId,
      sameSettings: a.settings === b.settings, result, significant: result.tTest.p < alpha, verdict: verdictOf(result, alpha),
    });
  }
  return { model: input.model, runs, comparisons, alpha };
}
