import { describe, expect, it } from 'vitest';
import { auditQuery, changeRows, permissionGroups, showValue } from './audit';

describe('the audit diff model', () => {
  it('makes a row per changed field, sorted, with its kind', () => {
    expect(changeRows({ name: { from: 'Свет', to: 'Осветительный цех' }, code: { from: null, to: 'light' }, head_id: { from: 'u1', to: null } })).toEqual([
      { field: 'code', kind: 'added', from: '', to: 'light' },
      { field: 'head_id', kind: 'removed', from: 'u1', to: '' },
      { field: 'name', kind: 'changed', from: 'Свет', to: 'Осветительный цех' },
    ]);
  });

  it('shows only what changed inside nested objects', () => {
    expect(changeRows({ settings: { from: { a: 1, b: { c: 'x' } }, to: { a: 1, b: { c: 'y' }, d: true } } })).toEqual([
      { field: 'settings.b.c', kind: 'changed', from: 'x', to: 'y' },
      { field: 'settings.d', kind: 'added', from: '', to: 'true' },
    ]);
  });

  it('joins lists and keeps other objects as compact JSON', () => {
    expect(showValue(['inventory:view', 'audit:view'])).toBe('inventory:view, audit:view');
    expect(showValue([{ id: 1 }])).toBe('[{"id":1}]');
    expect(showValue(null)).toBe('');
  });

  it('reads an empty or malformed change as no rows', () => {
    expect(changeRows({})).toEqual([]);
    expect(changeRows(null)).toEqual([]);
    expect(changeRows([1, 2])).toEqual([]);
    // A value not in {from, to} form is shown as the new value.
    expect(changeRows({ note: 'x' })).toEqual([{ field: 'note', kind: 'added', from: '', to: 'x' }]);
  });
});

describe('the audit filters', () => {
  it('leaves empty filters out and makes the period inclusive of its last day', () => {
    const q = auditQuery({ actor_id: '', entity_type: ' department ', action: 'department.create', from: '2026-12-01', to: '2026-12-07' });
    expect(q.entity_type).toBe('department');
    expect(q.action).toBe('department.create');
    expect(q.actor_id).toBeUndefined();
    expect(new Date(q.from).getTime()).toBe(new Date(2026, 11, 1).getTime());
    expect(new Date(q.to).getTime()).toBe(new Date(2026, 11, 8).getTime());
  });

  it('ignores a malformed date', () => {
    expect(auditQuery({ from: '1.12.2026' })).toEqual({});
  });
});

describe('permissions by module', () => {
  it('groups the vocabulary by its module in order', () => {
    const groups = permissionGroups();
    expect(groups.map(([m]) => m)).toEqual(['inventory', 'documents', 'performance', 'schedule', 'users', 'audit', 'system', 'admin']);
    expect(groups[0][1]).toContain('inventory:write_off');
  });
});
