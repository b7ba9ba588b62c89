/**
 * Bootstrap intervals of one model's LC and raw win rate, and the paired bootstrap comparison of two models judged on
 * the same instructions (`aep aggregate`, `aep compare`). The replicates run through a ReplicateRunner (this thread or
 * worker threads); the numbers do not depend on which.
 */
import type { AnnotationRow } from '../core/annotations.ts';
import { InputError } from '../core/errors.ts';
import {
  DEFAULT_BOOTSTRAP_SEED, armForModel, bootstrapPValue, interval95, runReplicates, type BootstrapSolver,
} from '../core/metrics/glm/bootstrap.ts';
import type { GamedRow } from '../core/metrics/glm/gamed-table.ts';
import type { LcResult } from '../core/metrics/glm/length-controlled.ts';
import type { PairedLcComparison } from '../core/report/compare-page.ts';
import { comparePairedRuns } from '../core/report/paired-test.ts';
import type { ReplicateRunner } from '../ports.ts';

/** Runs every replicate in this thread (the Lambda; a worker pool is `adapters/bootstrap-workers.ts`). */
export const inThreadRunner: ReplicateRunner = {
  run: async (plan, replicates) => runReplicates(plan, 0, replicates),
};

export interface BootstrapSettings {
  /** number of replicates B (0: no bootstrap) */
  replicates: number;
  seed?: number;
  solver?: BootstrapSolver;
  runner: ReplicateRunner;
}

/** What the metrics document records about the bootstrap. */
export interface BootstrapInfo {
  replicates: number;
  seed: number;
  resampled: 'instructions';
  interval: 'percentile 95%';
  solver: BootstrapSolver;
  /** LC of the model at the C chosen on the full data, refitted per replicate (no cross-validation inside) */
  C: number | null;
}

/** What the bootstrap needs of a model's full-data LC fit (an LcResult, or lc_glm.json of a finished run). */
export interface FittedLc {
  isBaseline: boolean;
  C: number | null;
  coefficients: Record<string, number>;
  lengthControlledWinrate: number;
  /** raw win rate of the same annotations */
  winRate: number;
}

export function fittedOf(lc: LcResult): FittedLc {
  return {
    isBaseline: lc.isBaseline, C: lc.C, coefficients: lc.coefficients, lengthControlledWinrate: lc.lengthControlledWinrate, winRate: lc.extremeChange.winRate,
  };
}

export interface ModelIntervals {
  length_controlled_winrate_ci95: [number, number];
  win_rate_ci95: [number, number];
  bootstrap: BootstrapInfo;
}

export async function modelIntervals(
  rows: readonly AnnotationRow[], gamed: readonly GamedRow[], lc: LcResult, settings: BootstrapSettings,
): Promise<ModelIntervals> {
  const seed = settings.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const solver = settings.solver ?? 'newton';
  const arm = armForModel(rows, gamed, lc, { solver });
  const values = await settings.runner.run({ nInstructions: rows.length, seed, solver, arms: [arm] }, settings.replicates);
  return {
    length_controlled_winrate_ci95: interval95(values.lc[0]!),
    win_rate_ci95: interval95(values.winRate[0]!),
    bootstrap: { replicates: settings.replicates, seed, resampled: 'instructions', interval: 'percentile 95%', solver, C: lc.C },
  };
}

export interface ModelComparison extends PairedLcComparison {
  a: PairedLcComparison['a'] & { C: number | null };
  b: PairedLcComparison['b'] & { C: number | null };
  bootstrap: Omit<BootstrapInfo, 'C'>;
}

/**
 * B vs A on the instructions both were judged on: one resample of instructions per replicate, shared by both models;
 * each model refitted at its own full-data C. Rows are matched by instruction text (repeated instructions by
 * occurrence); A's order numbers the instructions, so A should be in eval order (as its LC fit already assumes).
 */
export async function compareModels(
  a: { rows: readonly AnnotationRow[]; lc: FittedLc; name: string; file: string },
  b: { rows: readonly AnnotationRow[]; lc: FittedLc; name: string; file: string },
  gamed: readonly GamedRow[],
  settings: BootstrapSettings,
): Promise<ModelComparison> {
  const seed = settings.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const solver = settings.solver ?? 'newton';
  const instructionOfB = matchInstructions(a.rows, b.rows, b.file);
  const shared = instructionOfB.filter((i) => i >= 0).length;
  const armA = armForModel(a.rows, gamed, a.lc, { solver });
  const armB = armForModel(b.rows, gamed, b.lc, { solver, instructionOfModelRow: Int32Array.from(instructionOfB), nInstructions: a.rows.length });
  const n = a.rows.length;
  const values = await settings.runner.run({ nInstructions: n, seed, solver, arms: [armA, armB] }, settings.replicates);
  const dLc = values.lc[1]!.map((x, k) => x - values.lc[0]![k]!);
  const dWr = values.winRate[1]!.map((x, k) => x - values.winRate[0]![k]!);
  const wrA = a.lc.winRate;
  const wrB = b.lc.winRate;
  const delta = b.lc.lengthControlledWinrate - a.lc.lengthControlledWinrate;
  const ci95 = interval95(dLc);
  return {
    a: { name: a.name, length_controlled_winrate: a.lc.lengthControlledWinrate, win_rate: wrA, C: a.lc.C },
    b: { name: b.name, length_controlled_winrate: b.lc.lengthControlledWinrate, win_rate: wrB, C: b.lc.C },
    shared,
    delta_length_controlled_winrate: delta,
    ci95,
    p_value: bootstrapPValue(dLc),
    delta_win_rate: wrB - wrA,
    win_rate_ci95: interval95(dWr),
    win_rate_p_value: bootstrapPValue(dWr),
    paired: comparePairedRuns(a.rows, b.rows),
    verdict: ci95[0] > 0 ? 'better' : ci95[1] < 0 ? 'worse' : 'no detectable difference',
    bootstrap: { replicates: settings.replicates, seed, resampled: 'instructions', interval: 'percentile 95%', solver },
  };
}

/** For each row of b, the position in a of the same instruction (occurrence by occurrence), or −1. */
export function matchInstructions(a: readonly { instruction: string }[], b: readonly { instruction: string }[], fileB: string): number[] {
  const positions = new Map<string, number[]>();
  a.forEach((r, i) => {
    const list = positions.get(r.instruction) ?? [];
    list.push(i);
    positions.set(r.instruction, list);
  });
  const out = b.map((r) => positions.get(r.instruction)?.shift() ?? -1);
  if (out.every((i) => i < 0)) throw new InputError({ file: fileB, field: 'instruction' }, 'no instruction in common with the other annotations (A)');
  return out;
}
