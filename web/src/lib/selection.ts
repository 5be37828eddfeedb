// Which rows of the inventory list are selected for a bulk action or a label sheet. Pure
// functions over an immutable Set, so React sees every change.

export type AllState = 'none' | 'some' | 'all';

export function toggle(selected: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** How many of the visible rows are selected, for the header checkbox (indeterminate on "some"). */
export function allState(selected: ReadonlySet<string>, visible: readonly string[]): AllState {
  if (visible.length === 0) return 'none';
  const n = visible.filter((id) => selected.has(id)).length;
  return n === 0 ? 'none' : n === visible.length ? 'all' : 'some';
}

/** The header checkbox: selects every visible row, or clears them when all are selected. */
export function toggleAll(selected: ReadonlySet<string>, visible: readonly string[]): Set<string> {
  const next = new Set(selected);
  if (allState(selected, visible) === 'all') visible.forEach((id) => next.delete(id));
  else visible.forEach((id) => next.add(id));
  return next;
}

/** The selection in list order (what a label sheet prints in), limited to rows still listed. */
export function inListOrder(selected: ReadonlySet<string>, rows: readonly string[]): string[] {
  return rows.filter((id) => selected.has(id));
}
