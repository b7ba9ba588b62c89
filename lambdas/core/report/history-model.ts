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
  metrics: {
    lc: number; lcSe: number; winRate: number; winRateSe: number; nTotal: number; avgLength: number;
    /** 95 % bootstrap intervals (metrics.json of runs aggregated with the bootstrap on) */
    lcCi95?: [number, number] | null; winRateCi95?: [number, number] | null;
  } | null;
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
  /** The paired LC bootstrap (aep compare's ΔLC), when it could be computed; it decides the verdict. */
  lc: LcPairResult | null;
  /** p < alpha in the paired t-test. */
  significant: boolean;
  /**
   * With the LC bootstrap: `better` / `worse` when the 95 % interval of ΔLC excludes 0, else `no change`. Without it,
   * from the raw-preference tests: both significant in the same direction: `better` / `worse`; neither: `no change`;
   * otherwise `mixed` (e.g. most instructions moved one way but the mean did not move significantly).
   */
  verdict: 'better' | 'worse' | 'no change' | 'mixed';
}

/** ΔLC = LC(to) − LC(from) with its paired bootstrap interval and two-sided p-value. */
export interface LcPairResult {
  delta: number;
  ci95: [number, number];
  p: number;
  replicates: number;
  /** the pair's comparison page (what changed, flip explorer), relative to the history page */
  href?: string;
}

/** File name of a pair's comparison page, next to the history page. */
export function comparePageName(from: string, to: string): string {
  return `compare-${historyKey(from)}--${historyKey(to)}.html`;
}

/** Key of a pair of runs in `lcComparisons`. */
export function pairKey(from: string, to: string): string {
  return `${from}>${to}`;
}

/** Consecutive finished runs (metrics and preferences present), oldest first: the pairs the history compares. */
export function consecutivePairs<R extends { runId: string; createdAt: string; metrics: unknown; preferences: unknown }>(runs: readonly R[]): Array<[R, R]> {
  const finished = sortRuns(runs).filter((r) => r.metrics !== null && r.preferences !== null);
  return finished.slice(1).map((b, i) => [finished[i]!, b]);
}

function sortRuns<R extends { runId: string; createdAt: string }>(runs: readonly R[]): R[] {
  return [...runs].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.runId < b.runId ? -1 : 1));
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

export function buildHistoryModel(input: {
  model: string; runs: readonly HistoryRunInput[]; alpha?: number; lcComparisons?: ReadonlyMap<string, LcPairResult>;
}): HistoryModel {
  const alpha = input.alpha ?? 0.05;
  const runs: HistoryRun[] = sortRuns(input.runs).map(({ preferences: _p, ...r }) => ({ ...r, checkpoint: r.revision ?? r.runId }));
  const comparisons: HistoryComparison[] = consecutivePairs(input.runs).map(([a, b]) => {
    const result = comparePairedRuns(a.preferences!, b.preferences!);
    const lc = input.lcComparisons?.get(pairKey(a.runId, b.runId)) ?? null;
    const verdict = lc ? (lc.ci95[0] > 0 ? 'better' : lc.ci95[1] < 0 ? 'worse' : 'no change') : verdictOf(result, alpha);
    return {
      from: a.runId, to: b.runId, fromCheckpoint: a.revision ?? a.runId, toCheckpoint: b.revision ?? b.runId,
      sameSettings: a.settings === b.settings, result, lc, significant: result.tTest.p < alpha, verdict,
    };
  });
  return { model: input.model, runs, comparisons, alpha };
}
