/**
 * Annotation rows in the official `annotations.json` format, parsed and validated.
 *
 * Preference encoding (official, used everywhere): 1 = reference (output_1) wins, 2 = model (output_2) wins,
 * 1.5 = tie (also identical outputs), 0 = legacy tie code, null = the judge gave no usable answer (NaN).
 * Stored files use legacy field names (`raw_completion`, `price_per_example`, `time_per_example`); current
 * code writes `preference_raw_completion` etc. Both are accepted; neither is required.
 */
import { InputError } from './errors.ts';

export interface AnnotationRow {
  instruction: string;
  output_1: string;
  output_2: string;
  generator_1: string;
  generator_2: string;
  /** 1..2, 0 (legacy tie) or null (NaN). */
  preference: number | null;
  annotator?: string;
  dataset?: string;
  /** Any further fields, carried through untouched. */
  [extra: string]: unknown;
}

export interface ParsedAnnotations {
  rows: AnnotationRow[];
  /** The single `generator_2` (the model under evaluation). */
  model: string;
  /** The first `generator_1` (the reference, normally gpt4_1106_preview). */
  baseline: string;
  annotator: string | undefined;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Parses JSON text, turning a syntax error into an InputError naming the file. */
export function parseJsonText(text: string, file: string): Json {
  if (text.trim() === '') throw new InputError({ file }, 'the file is empty');
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new InputError({ file }, `invalid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** Returns the records of a JSON array of objects, or throws an InputError naming the file and row. */
export function jsonRecords(text: string, file: string): Record<string, Json>[] {
  const data = parseJsonText(text, file);
  if (!Array.isArray(data)) throw new InputError({ file }, 'expected a JSON array of records');
  if (data.length === 0) throw new InputError({ file }, 'the array has no records');
  data.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new InputError({ file, row: i + 1 }, 'expected an object');
    }
  });
  return data as Record<string, Json>[];
}

function requireString(rec: Record<string, Json>, field: string, file: string, row: number): string {
  const v = rec[field];
  if (v === undefined) throw new InputError({ file, row, field }, 'missing');
  if (typeof v !== 'string') throw new InputError({ file, row, field }, `expected a string, got ${describe(v)}`);
  return v;
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Validates one preference value; returns it (null for NaN). */
export function checkPreference(v: Json | undefined, file: string, row: number): number | null {
  const field = 'preference';
  if (v === undefined) throw new InputError({ file, row, field }, 'missing');
  if (v === null) return null;
  if (typeof v !== 'number') throw new InputError({ file, row, field }, `expected a number or null, got ${describe(v)}`);
  if (v !== 0 && !(v >= 1 && v <= 2)) {
    throw new InputError({ file, row, field }, `${v} is outside [1, 2] (allowed: 1..2, 0 for a legacy tie, null)`);
  }
  return v;
}

/** Parses `annotations.json` text. Requires one model (`generator_2`) and at most one annotator. */
export function parseAnnotations(text: string, file: string): ParsedAnnotations {
  const records = jsonRecords(text, file);
  const rows: AnnotationRow[] = [];
  const models = new Set<string>();
  const annotators = new Set<string>();
  records.forEach((rec, i) => {
    const row = i + 1;
    const parsed: AnnotationRow = {
      ...rec,
      instruction: requireString(rec, 'instruction', file, row),
      output_1: requireString(rec, 'output_1', file, row),
      output_2: requireString(rec, 'output_2', file, row),
      generator_1: requireString(rec, 'generator_1', file, row),
      generator_2: requireString(rec, 'generator_2', file, row),
      preference: checkPreference(rec.preference, file, row),
    };
    if (rec.annotator !== undefined && rec.annotator !== null) {
      parsed.annotator = requireString(rec, 'annotator', file, row);
      annotators.add(parsed.annotator);
    }
    if (!models.has(parsed.generator_2) && models.size > 0) {
      throw new InputError({ file, row, field: 'generator_2' },
        `several generators in one file ("${[...models][0]}" and "${parsed.generator_2}"); evaluate one model per file`);
    }
    models.add(parsed.generator_2);
    if (annotators.size > 1) {
      throw new InputError({ file, row, field: 'annotator' }, `several annotators in one file (${[...annotators].join(', ')})`);
    }
    rows.push(parsed);
  });
  return { rows, model: rows[0]!.generator_2, baseline: rows[0]!.generator_1, annotator: [...annotators][0] };
}
