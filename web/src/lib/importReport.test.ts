import { describe, expect, it } from 'vitest';
import { csvRecords, reportRows, rowErrorsOfProblem } from './importReport';

describe('CSV import report', () => {
  it('reads records with the line each starts on, quotes and ; files included', () => {
    const text = '\uFEFFname,category_code,description\r\nБокал,props,"две\nстроки, с запятой"\n\n"Кубок ""золотой""",props,\n';
    expect(csvRecords(text)).toEqual([
      { line: 1, cells: ['name', 'category_code', 'description'] },
      { line: 2, cells: ['Бокал', 'props', 'две\nстроки, с запятой'] },
      { line: 5, cells: ['Кубок "золотой"', 'props', ''] },
    ]);
    expect(csvRecords('name;category_code\nСтул;furniture').map((r) => r.cells)).toEqual([['name', 'category_code'], ['Стул', 'furniture']]);
  });

  it('lists every row as ok or with its errors by field', () => {
    const text = 'name,category_code\nБокал,props\nКубок,nosuch\n,props\n';
    const rows = reportRows(text, 3, [
      { line: 3, field: 'category_code', message: 'no category "nosuch"' },
      { line: 4, field: 'name', message: 'must not be empty' },
    ]);
    expect(rows).toEqual([
      { line: 2, name: 'Бокал', ok: true, errors: [] },
      { line: 3, name: 'Кубок', ok: false, errors: [{ field: 'category_code', message: 'no category "nosuch"' }] },
      { line: 4, name: '', ok: false, errors: [{ field: 'name', message: 'must not be empty' }] },
    ]);
  });

  it('falls back to the rows with problems when the file does not match the count', () => {
    const rows = reportRows('name\nA\n', 5, [{ line: 7, field: 'quantity', message: 'must be a whole number' }]);
    expect(rows).toEqual([{ line: 7, name: '', ok: false, errors: [{ field: 'quantity', message: 'must be a whole number' }] }]);
  });

  it('maps a real import refusal back to lines', () => {
    const { rows, file } = rowErrorsOfProblem({
      status: 422,
      errors: [{ field: 'line 3: category_code', message: 'no category' }, { field: 'header', message: 'unknown column "x"' }],
    });
    expect(rows).toEqual([{ line: 3, field: 'category_code', message: 'no category' }]);
    expect(file).toEqual(['header: unknown column "x"']);
  });
});
