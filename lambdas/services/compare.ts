/**
 * `aep compare`: two models' annotations (judged on the same instructions) → ΔLC with its paired bootstrap interval
 * and p-value, the paired raw-preference tests, a verdict, and what changed. Reads assets through the AssetSource
 * port (df_gamed.csv, optionally checked against instruction_difficulty.csv as `aep aggregate` does).
 */
import { parseAnnotations } from '../core/annotations.ts';
import { parseGamedTable } from '../core/metrics/glm/gamed-table.ts';
import type { FoldOrder } from '../core/metrics/glm/group-kfold.ts';
import { lengthControlledWinRate } from '../core/metrics/glm/length-controlled.ts';
import { whatChanged, type WhatChanged } from '../core/report/what-changed.ts';
import type { AssetProvenance, AssetSource } from '../ports.ts';
import { checkDifficulty, provenance } from './aggregate.ts';
import { compareModels, fittedOf, type BootstrapSettings, type ModelComparison } from './lc-bootstrap.ts';

export interface CompareInput {
  a: { text: string; file: string };
  b: { text: string; file: string };
  assets: AssetSource;
  /** Check the gamed table's difficulties against instruction_difficulty.csv (default true), as `aep aggregate` does. */
  checkInstructionDifficulty?: boolean;
  bootstrap: BootstrapSettings;
  foldOrder?: FoldOrder;
}

export interface CompareOutput extends ModelComparison {
  what_changed: WhatChanged;
  assets: Record<string, AssetProvenance & { agrees_with_gamed?: boolean; max_abs_diff?: number }>;
  warnings: string[];
}

export async function compareRuns(input: CompareInput): Promise<CompareOutput> {
  if (input.bootstrap.replicates < 1) throw new Error('aep compare needs at least one bootstrap replicate');
  const a = parseAnnotations(input.a.text, input.a.file);
  const b = parseAnnotations(input.b.text, input.b.file);
  const warnings: string[] = [];
  if (a.baseline !== b.baseline) warnings.push(`the two runs have different references (${a.baseline} vs ${b.baseline}): the change is not only the model's`);
  if (a.annotator !== b.annotator) warnings.push(`the two runs have different judges (${a.annotator ?? '?'} vs ${b.annotator ?? '?'}): the change is not only the model's`);
  const gamed = await input.assets.text('gamed');
  const gamedRows = parseGamedTable(gamed.text, gamed.asset.source);
  const assets: CompareOutput['assets'] = { gamed: provenance(gamed.asset) };
  if (input.checkInstructionDifficulty !== false) await checkDifficulty(input.assets, gamedRows, assets, warnings);
  const foldOrder = input.foldOrder ?? 'stable';
  const lcA = lengthControlledWinRate({ annotations: a.rows, gamed: gamedRows }, { foldOrder, sensitivity: false });
  const lcB = lengthControlledWinRate({ annotations: b.rows, gamed: gamedRows }, { foldOrder, sensitivity: false });
  const nameA = a.model === b.model ? `${a.model} (A)` : a.model;
  const nameB = a.model === b.model ? `${b.model} (B)` : b.model;
  const cmp = await compareModels(
    { rows: a.rows, lc: fittedOf(lcA), name: nameA, file: input.a.file }, { rows: b.rows, lc: fittedOf(lcB), name: nameB, file: input.b.file },
    gamedRows, input.bootstrap,
  );
  if (cmp.shared < b.rows.length || cmp.shared < a.rows.length) {
    warnings.push(`only ${cmp.shared} instructions are shared (A has ${a.rows.length} rows, B ${b.rows.length}); unshared rows are not resampled`);
  }
  const changed = whatChanged(a.rows, b.rows, { winRate: cmp.delta_win_rate, lc: cmp.delta_length_controlled_winrate });
  return { ...cmp, what_changed: changed, assets, warnings };
}
