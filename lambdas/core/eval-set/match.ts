/**
 * Matching model outputs to the eval rows as `annotate_head2head` does (spec §1): an inner join on `instruction`
 * (exact string equality) with the reference on the left, so rows come in reference order; a model instruction that
 * occurs several times yields one row per occurrence (cartesian product), after which exact duplicate rows are dropped.
 *
 * Unlike the official tool nothing is lost silently: the report lists missing, extra and duplicated instructions.
 */
import type { ModelOutputRow } from './schema.ts';

/** One row to judge: reference output = output_1, model output = output_2. */
export interface MatchedRow {
  /** 0-based position of the eval row in the reference file. */
  evalIndex: number;
  /** 0-based position of the record in the model outputs file. */
  modelIndex: number;
  instruction: string;
  output_1: string;
  output_2: string;
  reference: ModelOutputRow;
  model: ModelOutputRow;
}

export interface MissingInstruction {
  evalIndex: number;
  instruction: string;
}

export interface ExtraInstruction {
  modelIndex: number;
  instruction: string;
}

export interface DuplicateInstruction {
  instruction: string;
  /** Every record of the model file with this instruction. */
  modelIndices: number[];
  /** Records dropped because they equal an earlier record with this instruction in every field. */
  droppedModelIndices: number[];
}

export interface MatchReport {
  nReference: number;
  nModel: number;
  nMatched: number;
  /** Eval rows for which the model file has no record: absent from the result. */
  missing: MissingInstruction[];
  /** Model records whose instruction is not in the eval set: ignored. */
  extra: ExtraInstruction[];
  /** Instructions with several model records: one matched row per distinct record. */
  duplicates: DuplicateInstruction[];
}

export interface MatchResult {
  rows: MatchedRow[];
  report: MatchReport;
}

/** A canonical text of a record for pandas `drop_duplicates` (all fields, order-insensitive; null ≡ absent). */
function recordKey(row: ModelOutputRow): string {
  const entries = Object.entries(row).filter(([, v]) => v !== null && v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/**
 * Joins model outputs to the eval rows.
 *
 * @example
 * const { rows, report } = matchModelOutputs({ reference, modelOutputs });
 * if (report.missing.length > 0) console.warn(`${report.missing.length} eval rows have no model output`);
 */
export function matchModelOutputs({ reference, modelOutputs }: {
  reference: readonly ModelOutputRow[];
  modelOutputs: readonly ModelOutputRow[];
}): MatchResult {
  const byInstruction = new Map<string, number[]>();
  modelOutputs.forEach((r, i) => {
    const list = byInstruction.get(r.instruction);
    if (list) list.push(i);
    else byInstruction.set(r.instruction, [i]);
  });

  // which records survive drop_duplicates: the first of every group of identical records per instruction
  const kept = new Map<string, number[]>();
  const duplicates: DuplicateInstruction[] = [];
  for (const [instruction, indices] of byInstruction) {
    const seen = new Set<string>();
    const keep: number[] = [];
    const dropped: number[] = [];
    for (const i of indices) {
      const key = recordKey(modelOutputs[i]!);
      if (seen.has(key)) dropped.push(i);
      else {
        seen.add(key);
        keep.push(i);
      }
    }
    kept.set(instruction, keep);
    if (indices.length > 1) duplicates.push({ instruction, modelIndices: indices, droppedModelIndices: dropped });
  }

  const referenceInstructions = new Set(reference.map((r) => r.instruction));
  const rows: MatchedRow[] = [];
  const missing: MissingInstruction[] = [];
  reference.forEach((ref, evalIndex) => {
    const matches = kept.get(ref.instruction);
    if (!matches) {
      missing.push({ evalIndex, instruction: ref.instruction });
      return;
    }
    for (const modelIndex of matches) {
      const model = modelOutputs[modelIndex]!;
      rows.push({
        evalIndex, modelIndex, instruction: ref.instruction,
        output_1: ref.output, output_2: model.output, reference: ref, model,
      });
    }
  });
  const extra: ExtraInstruction[] = [];
  modelOutputs.forEach((r, modelIndex) => {
    if (!referenceInstructions.has(r.instruction)) extra.push({ modelIndex, instruction: r.instruction });
  });

  return {
    rows,
    report: {
      nReference: reference.length,
      nModel: modelOutputs.length,
      nMatched: rows.length,
      missing,
      extra,
      duplicates: duplicates.filter((d) => referenceInstructions.has(d.instruction)),
    },
  };
}
