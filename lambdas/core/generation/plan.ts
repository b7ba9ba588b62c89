/**
 * Which eval rows to generate, and the `model_outputs.json` rows made from the finished completions (spec §2).
 */
import { selectMaxInstances } from '../eval-set/max-instances.ts';
import type { ModelOutputRow } from '../eval-set/schema.ts';
import { pythonStrip } from '../judge/python-text.ts';

/** One eval row to generate. */
export interface GenerationRow {
  /** 0-based position in the eval set. */
  evalIndex: number;
  instruction: string;
  dataset: string | undefined;
}

/**
 * The rows to generate, in eval-set order. With `maxInstances` the official subset rule picks them (the first k of
 * numpy `RandomState(123).permutation(n)`, as `main.evaluate` selects reference rows), so the outputs cover exactly
 * the instructions a `--max-instances k` evaluation judges.
 *
 * @example
 * planGeneration({ evalSet: rows, maxInstances: 3 }).map((r) => r.evalIndex); // three indices, ascending
 */
export function planGeneration({ evalSet, maxInstances }: {
  evalSet: readonly ModelOutputRow[];
  maxInstances?: number | undefined;
}): GenerationRow[] {
  let indices = evalSet.map((_, i) => i);
  if (maxInstances !== undefined) {
    indices = selectMaxInstances({ modelOutputs: indices, reference: indices, maxInstances }).reference;
    indices.sort((a, b) => a - b);
  }
  return indices.map((evalIndex) => {
    const row = evalSet[evalIndex]!;
    return { evalIndex, instruction: row.instruction, dataset: row.dataset };
  });
}

/** The official tool strips every output with Python's `str.strip()` (`is_strip_output=True`). */
export function stripOutput(text: string): string {
  return pythonStrip(text);
}

/**
 * The `model_outputs.json` records, in the order of `rows`, with the official column order
 * (`dataset`, `instruction`, `output`, `generator`; `dataset` only when the eval row has one).
 * Throws `RangeError` if a row has no output.
 */
export function assembleModelOutputs({ rows, outputs, generator }: {
  rows: readonly GenerationRow[];
  /** Raw engine text by eval index. */
  outputs: ReadonlyMap<number, string>;
  generator: string;
}): ModelOutputRow[] {
  return rows.map((row) => {
    const raw = outputs.get(row.evalIndex);
    if (raw === undefined) throw new RangeError(`eval row ${row.evalIndex} has no output`);
    const record: ModelOutputRow = row.dataset === undefined
      ? { instruction: row.instruction, output: stripOutput(raw), generator }
      : { dataset: row.dataset, instruction: row.instruction, output: stripOutput(raw), generator };
    return record;
  });
}
