// The CSV import's report, row by row. The API answers a dry run with the rows it read and the
// problems it found (line of the file, field, message; the header is line 1), and refuses a real
// import that has problems with a 422 whose errors are named `line N: field`. Here both become
// one list: every data row of the file with its line, its name, and ok or its problems. The file
// is read the way the API reads it (UTF-8, optional BOM, `;` when the header has `;` and no `,`,
// quoted fields that may span lines, blank lines skipped).

import type { Problem } from './problem';

export interface RowError { line: number; field: string; message: string }
export interface CsvRecord { line: number; cells: string[] }
export interface ReportRow { line: number; name: string; ok: boolean; errors: { field: string; message: string }[] }

/** The file's records with the line each starts on (1-based), the header first. */
export function csvRecords(text: string): CsvRecord[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const firstLine = body.split(/\r?\n/, 1)[0] ?? '';
  const sep = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < body.length) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let any = false;
    for (; i < body.length; i++) {
      const c = body[i];
      if (quoted) {
        if (c === '"' && body[i + 1] === '"') { cell += '"'; i++; }
        else if (c === '"') quoted = false;
        else { if (c === '\n') line++; cell += c; }
        continue;
      }
      if (c === '"') { quoted = true; any = true; }
      else if (c === sep) { cells.push(cell); cell = ''; any = true; }
      else if (c === '\r' && body[i + 1] === '\n') continue;
      else if (c === '\n') { i++; line++; break; }
      else { cell += c; any = true; }
    }
    if (any || cell !== '') {
      cells.push(cell);
      records.push({ line: start, cells });
    }
  }
  return records;
}

/** A real import's 422 (`line 3: category_code`) as row errors; problems of the whole file stay out. */
export function rowErrorsOfProblem(problem: Problem | undefined): { rows: RowError[]; file: string[] } {
  const rows: RowError[] = [];
  const file: string[] = [];
  for (const e of problem?.errors ?? []) {
    const m = /^line (\d+): (.+)$/.exec(e.field);
    if (m) rows.push({ line: Number(m[1]), field: m[2], message: e.message });
    else file.push(`${e.field}: ${e.message}`);
  }
  return { rows, file };
}

/**
 * Every data row of the file with its problems. When the file cannot be matched to the API's
 * count of rows (it should always match), the rows with problems are listed alone.
 */
export function reportRows(text: string, rowCount: number, errors: readonly RowError[]): ReportRow[] {
  const records = csvRecords(text);
  const header = (records[0]?.cells ?? []).map((h) => h.trim().toLowerCase());
  const nameAt = header.indexOf('name');
  const data = records.slice(1);
  const byLine = new Map<number, { field: string; message: string }[]>();
  for (const e of errors) byLine.set(e.line, [...(byLine.get(e.line) ?? []), { field: e.field, message: e.message }]);
  const lines = data.length === rowCount
    ? data.map((r) => ({ line: r.line, name: nameAt >= 0 ? (r.cells[nameAt] ?? '').trim() : '' }))
    : [...byLine.keys()].sort((a, b) => a - b).map((line) => ({ line, name: '' }));
  const known = new Set(lines.map((l) => l.line));
  // Problems on lines the file reading did not place still get a row of their own.
  for (const line of byLine.keys()) if (!known.has(line)) lines.push({ line, name: '' });
  lines.sort((a, b) => a.line - b.line);
  return lines.map(({ line, name }) => {
    const errs = byLine.get(line) ?? [];
    return { line, name, ok: errs.length === 0, errors: errs };
  });
}
