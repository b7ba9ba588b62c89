/** Minimal RFC 4180 CSV reading and writing (quoted fields, embedded commas, quotes and newlines). */
import { InputError } from '../errors.ts';

/** Splits CSV text into rows of raw cell strings. A trailing newline does not make an empty row. */
export function parseCsv(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else cell += c;
    i++;
  }
  if (quoted) throw new InputError({ file, row: rows.length + 1 }, 'unterminated quoted field');
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Quotes a cell when needed, as Python's csv module (QUOTE_MINIMAL) does. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** A CSV with a header row, read as records keyed by column name. Errors name the file, row and column. */
export interface CsvTable {
  header: string[];
  records: Record<string, string>[];
}

export function parseCsvTable(text: string, file: string, required: readonly string[] = []): CsvTable {
  const rows = parseCsv(text, file);
  if (rows.length === 0) throw new InputError({ file }, 'the file is empty');
  const header = rows[0]!;
  for (const col of required) {
    if (!header.includes(col)) throw new InputError({ file, row: 1, field: col }, 'missing column in the header');
  }
  const records = rows.slice(1).map((cells, i) => {
    if (cells.length !== header.length) {
      throw new InputError({ file, row: i + 2 }, `expected ${header.length} fields, found ${cells.length}`);
    }
    const rec: Record<string, string> = {};
    header.forEach((h, j) => (rec[h] = cells[j]!));
    return rec;
  });
  return { header, records };
}
