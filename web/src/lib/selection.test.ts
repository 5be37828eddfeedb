import { describe, expect, it } from 'vitest';
import { allState, inListOrder, toggle, toggleAll } from './selection';

describe('row selection', () => {
  it('toggles one row without changing the old set', () => {
    const before = new Set(['a']);
    const after = toggle(before, 'b');
    expect([...after]).toEqual(['a', 'b']);
    expect([...before]).toEqual(['a']);
    expect([...toggle(after, 'a')]).toEqual(['b']);
  });

  it('selects all visible rows, then clears them, keeping rows selected elsewhere', () => {
    const visible = ['a', 'b', 'c'];
    expect(allState(new Set(), visible)).toBe('none');
    expect(allState(new Set(['b']), visible)).toBe('some');
    const all = toggleAll(new Set(['b', 'x']), visible);
    expect(allState(all, visible)).toBe('all');
    expect([...toggleAll(all, visible)]).toEqual(['x']);
    expect(allState(new Set(['a']), [])).toBe('none');
  });

  it('gives the selection in list order', () => {
    expect(inListOrder(new Set(['c', 'a', 'gone']), ['a', 'b', 'c'])).toEqual(['a', 'c']);
  });
});
