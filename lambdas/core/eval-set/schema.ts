/**
 * Parsing and validation of a `model_outputs.json` text (spec §1): a non-empty JSON array of records with string
 * `instruction` and `output`, optional string `generator` and `dataset`, any other fields kept as they are.
 * The same shape holds the eval set (the reference outputs).
 */
import { InputError } from '../errors.ts';

/** One record of a model_outputs.json file. */
export interface ModelOutputRow {
  instruction: string;
  output: string;
  generator?: string;
  dataset?: string;
  [field: string]: unknown;
}

/** A validated model_outputs.json file. */
export interface ModelOutputs {
  fileName: string;
  rows: ModelOutputRow[];
  /** The single `generator` of all rows, or undefined when no row has one. */
  generator: string | undefined;
}

const REQUIRED = ['instruction', 'output'] as const;
const OPTIONAL = ['generator', 'dataset'] as const;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function checkRow(value: unknown, file: string, row: number): ModelOutputRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError({ file, row }, `expected an object, got ${typeName(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const field of REQUIRED) {
    if (!(field in record)) throw new InputError({ file, row, field }, 'missing required field');
    if (typeof record[field] !== 'string') {
      throw new InputError({ file, row, field }, `expected a string, got ${typeName(record[field])}`);
    }
  }
  for (const field of OPTIONAL) {
    if (field in record && typeof record[field] !== 'string') {
      throw new InputError({ file, row, field }, `expected a string when present, got ${typeName(record[field])}`);
    }
  }
  return record as ModelOutputRow;
}

/** The one generator of the file; several values, or some rows without one, are errors. */
function singleGenerator(rows: ModelOutputRow[], file: string): string | undefined {
  const first = rows.findIndex((r) => r.generator !== undefined);
  if (first < 0) return undefined;
  const generator = rows[first]!.generator!;
  rows.forEach((r, i) => {
    if (r.generator === undefined) {
      throw new InputError({ file, row: i + 1, field: 'generator' },
        `missing, while row ${first + 1} has generator "${generator}"; give every row the same generator`);
    }
    if (r.generator !== generator) {
      throw new InputError({ file, row: i + 1, field: 'generator' },
        `"${r.generator}" differs from "${generator}" (row ${first + 1}); one file must hold one model's outputs`);
    }
  });
  return generator;
}

/**
 * Parses a model_outputs.json text. Throws `InputError` naming the file, the 1-based row and the field for invalid
 * JSON, a top level that is not an array, an empty array, a missing or wrongly typed field, and several generators.
 *
 * @example
 * parseModelOutputs('[{"instruction":"1+1=","output":"2","generator":"m"}]', 'model_outputs.json').generator; // 'm'
 */
export function parseModelOutputs(text: string, fileName: string): ModelOutputs {
  let data: unknown;
  try {
    data = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (cause) {
    throw new InputError({ file: fileName }, `invalid JSON (${(cause as Error).message})`, { cause });
  }
  if (!Array.isArray(data)) {
    throw new InputError({ file: fileName }, `expected a JSON array of records, got ${typeName(data)}`);
  }
  if (data.length === 0) throw new InputError({ file: fileName }, 'the array is empty: no model outputs');
  const rows = data.map((value, i) => checkRow(value, fileName, i + 1));
  return { fileName, rows, generator: singleGenerator(rows, fileName) };
}
