/**
 * Pure parsers for the two LC side tables of the Hugging Face dataset `tatsu-lab/alpaca_eval`
 * (`df_gamed.csv`, `instruction_difficulty.csv`) and for files with the same layout. Columns are found by
 * header name (column order may differ; extra columns such as `model` are ignored). Values are read the
 * way pandas `read_csv` reads them for these columns: floats (empty / NaN → NaN), booleans `True`/`False`.
 * Errors name the file, the 1-based data row (and file line) and the field.
 */

import { AepError } from '../../errors.ts';

/** One row of df_gamed (the annotations of the gamed baselines, already featurised). */
export interface GamedRow {
  /** eval position of the row in its model's annotations */
  index: number;
  /** preference on the 0–1 scale (NaN when missing) */
  preference: number;
  std_delta_len: number;
  instruction_difficulty: number;
  not_gamed_baseline: boolean;
}

export const GAMED_COLUMNS = ['index', 'preference', 'std_delta_len', 'instruction_difficulty', 'not_gamed_baseline'] as const;

export class CsvFormatError extends AepError {
  override readonly name: string = 'CsvFormatError';
  constructor(
    readonly fileName: string,
    readonly row: number | null,
    readonly field: string | null,
    detail: string,
    readonly line: number | null = null,
  ) {
    const where = [
      row === null ? '' : `row ${row}${line === null ? '' : ` (line ${line})`}`,
      field === null ? '' : `field "${field}"`,
    ].filter((x) => x !== '');
    super(`${fileName}: ${where.length > 0 ? `${where.join(' ')}: ` : ''}${detail}`);
  }
}

interface CsvRecord {
  fields: string[];
  line: number;
}

/** RFC 4180 records (quoted fields with "" escapes, CRLF or LF); blank lines are skipped. */
function records(text: string, fileName: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quoted = false;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !quoted)) out.push({ fields, line: recordLine });
    fields = [];
    field = '';
    quoted = false;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      inQuotes = true;
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += c;
  }
  if (inQuotes) throw new CsvFormatError(fileName, null, null, `unterminated quoted field starting on line ${recordLine}`);
  if (field !== '' || fields.length > 0 || quoted) endRecord();
  return out;
}

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAN_TEXT = new Set(['', 'nan', 'NaN', 'NAN', 'NA', 'N/A', 'null', 'None', '<NA>', '-nan', '-NaN']);
const INF_TEXT = new Map<string, number>([
  ['inf', Infinity], ['+inf', Infinity], ['infinity', Infinity], ['+infinity', Infinity],
  ['-inf', -Infinity], ['-infinity', -Infinity],
]);

function parseFloatField(raw: string): number | undefined {
  const s = raw.trim();
  if (NAN_TEXT.has(s)) return NaN;
  const inf = INF_TEXT.get(s.toLowerCase());
  if (inf !== undefined) return inf;
  return FLOAT_RE.test(s) ? Number(s) : undefined;
}

function parseBoolField(raw: string): boolean | undefined {
  const s = raw.trim();
  if (s === 'True' || s === 'TRUE' || s === 'true') return true;
  if (s === 'False' || s === 'FALSE' || s === 'false') return false;
  return undefined;
}

class Table {
  private readonly col = new Map<string, number>();
  readonly rows: CsvRecord[];
  constructor(text: string, readonly fileName: string, required: readonly string[]) {
    const recs = records(text, fileName);
    const header = recs.shift();
    if (!header) throw new CsvFormatError(fileName, null, null, 'empty file (no header)');
    header.fields.forEach((name, k) => {
      const key = name.trim();
      if (!this.col.has(key)) this.col.set(key, k);
    });
    const missing = required.filter((c) => !this.col.has(c));
    if (missing.length > 0) {
      throw new CsvFormatError(fileName, null, null, `missing column(s) ${missing.join(', ')} in header "${header.fields.join(',')}"`);
    }
    this.rows = recs;
    const width = header.fields.length;
    recs.forEach((r, k) => {
      if (r.fields.length !== width) {
        throw new CsvFormatError(fileName, k + 1, null, `expected ${width} fields, found ${r.fields.length}`, r.line);
      }
    });
  }

  private fail(k: number, field: string, detail: string): never {
    throw new CsvFormatError(this.fileName, k + 1, field, detail, this.rows[k]!.line);
  }

  raw(k: number, field: string): string {
    return this.rows[k]!.fields[this.col.get(field)!]!;
  }

  float(k: number, field: string): number {
    const v = parseFloatField(this.raw(k, field));
    return v === undefined ? this.fail(k, field, `not a number: "${this.raw(k, field)}"`) : v;
  }

  int(k: number, field: string): number {
    const v = parseFloatField(this.raw(k, field));
    if (v === undefined || !Number.isInteger(v) || v < 0) {
      this.fail(k, field, `not a non-negative integer: "${this.raw(k, field)}"`);
    }
    return v;
  }

  bool(k: number, field: string): boolean {
    const v = parseBoolField(this.raw(k, field));
    return v === undefined ? this.fail(k, field, `not a boolean (True/False): "${this.raw(k, field)}"`) : v;
  }
}

/** Parses df_gamed.csv (or a file with the same columns in any order). */
export function parseGamedTable(text: string, fileName: string): GamedRow[] {
  const t = new Table(text, fileName, GAMED_COLUMNS);
  return t.rows.map((_, k) => ({
    index: t.int(k, 'index'),
    preference: t.float(k, 'preference'),
    std_delta_len: t.float(k, 'std_delta_len'),
    instruction_difficulty: t.float(k, 'instruction_difficulty'),
    not_gamed_baseline: t.bool(k, 'not_gamed_baseline'),
  }));
}

/** Parses instruction_difficulty.csv (`index,instruction_difficulty`) into a map index → difficulty. */
export function parseInstructionDifficulty(text: string, fileName: string): Map<number, number> {
  const t = new Table(text, fileName, ['index', 'instruction_difficulty']);
  const out = new Map<number, number>();
  t.rows.forEach((_, k) => {
    const index = t.int(k, 'index');
    if (out.has(index)) throw new CsvFormatError(fileName, k + 1, 'index', `duplicate index ${index}`, t.rows[k]!.line);
    out.set(index, t.float(k, 'instruction_difficulty'));
  });
  return out;
}
