import { describe, expect, it } from 'vitest';
import { downloadName, formatCell, initialForm, reportPath, reportQuery } from './reports';

describe('report parameters to the query', () => {
  const period = { params: ['from', 'to'] as const } as { params: ('from' | 'to' | 'group_by' | 'order' | 'limit')[] };
  const stock = { params: ['group_by'] } as { params: ('from' | 'to' | 'group_by' | 'order' | 'limit')[] };
  const none = { params: [] } as { params: ('from' | 'to' | 'group_by' | 'order' | 'limit')[] };

  it('sends only the parameters the report reads', () => {
    const q = reportQuery(stock, { group_by: 'location', from: '2026-01-01', limit: '5' });
    expect(q.toString()).toBe('group_by=location');
  });

  it('leaves out empty and blank values, trims the rest', () => {
    const q = reportQuery({ params: ['from', 'to', 'order', 'limit'] }, { from: ' 2026-12-01 ', to: '', limit: '  ' });
    expect(q.toString()).toBe('from=2026-12-01');
  });

  it('adds the format unless it is JSON', () => {
    expect(reportQuery(period, { from: '2026-12-01', to: '2026-12-07' }, 'csv').toString()).toBe('from=2026-12-01&to=2026-12-07&format=csv');
    expect(reportQuery(none, {}, 'json').toString()).toBe('');
  });

  it('builds the path with the code', () => {
    expect(reportPath('inventory_overdue', none, {})).toBe('/api/v1/reports/inventory_overdue');
    expect(reportPath('inventory_stock', stock, { group_by: 'status' }, 'xlsx')).toBe('/api/v1/reports/inventory_stock?group_by=status&format=xlsx');
  });

  it('starts a period report at the first of the month up to today', () => {
    expect(initialForm(period, new Date(2026, 11, 7))).toEqual({ from: '2026-12-01', to: '2026-12-07' });
    expect(initialForm(stock, new Date(2026, 11, 7))).toEqual({});
  });
});

describe('report files and cells', () => {
  it('takes the file name from Content-Disposition', () => {
    expect(downloadName('x', 'csv', `attachment; filename="inventory_stock-2026-12-07.csv"; filename*=UTF-8''inventory_stock-2026-12-07.csv`)).toBe('inventory_stock-2026-12-07.csv');
    expect(downloadName('x', 'csv', 'attachment; filename="a.csv"')).toBe('a.csv');
    expect(downloadName('inventory_stock', 'xlsx', null)).toBe('inventory_stock.xlsx');
  });

  it('formats cells by their column kind', () => {
    expect(formatCell(null, 'text', 'ru-RU')).toBe('—');
    expect(formatCell(1234, 'integer', 'en-GB')).toBe('1,234');
    expect(formatCell(12.5, 'money', 'en-GB')).toBe('12.50');
    expect(formatCell(40, 'percent', 'en-GB')).toBe('40 %');
    expect(formatCell('2026-12-07', 'date', 'ru-RU')).toBe('07.12.2026');
    expect(formatCell('2026-12-07T19:30:00', 'date_time', 'ru-RU')).toBe('07.12.2026 19:30');
    expect(formatCell('Стулья', 'text', 'ru-RU')).toBe('Стулья');
  });
});
