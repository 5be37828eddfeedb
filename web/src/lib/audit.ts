// The audit log as people read it: a change's `{field: {from, to}}` as rows of "field: before →
// after", the filters as the API's query, and the permission vocabulary grouped by module.
import { ALL_PERMISSIONS, type Permission } from './permissions';

export type ChangeKind = 'added' | 'removed' | 'changed';
export interface ChangeRow {
  field: string;
  kind: ChangeKind;
  from: string;
  to: string;
}

/** A value as one line of text: strings as they are, lists joined, objects as compact JSON. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return value.map((v) => String(v ?? '')).join(', ');
  return JSON.stringify(value);
}

/**
 * The rows of a change: one per field, nested objects flattened into `a.b` paths (a
 * `settings` object, a section's content) so a small change inside a big object shows as
 * what changed in it; fields in alphabetical order.
 */
export function changeRows(changes: unknown): ChangeRow[] {
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) return [];
  const rows: ChangeRow[] = [];
  for (const [field, change] of Object.entries(changes as Record<string, unknown>)) {
    const c = (change && typeof change === 'object' && !Array.isArray(change) && ('from' in change || 'to' in change)) ? (change as { from?: unknown; to?: unknown }) : { from: undefined, to: change };
    rows.push(...flatten(field, c.from ?? null, c.to ?? null));
  }
  return rows.sort((a, b) => a.field.localeCompare(b.field));
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function flatten(path: string, from: unknown, to: unknown): ChangeRow[] {
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
    return keys.flatMap((k) => (JSON.stringify(from[k]) === JSON.stringify(to[k]) ? [] : flatten(`${path}.${k}`, from[k] ?? null, to[k] ?? null)));
  }
  const f = showValue(from);
  const t = showValue(to);
  const kind: ChangeKind = from === null || f === '' ? 'added' : to === null || t === '' ? 'removed' : 'changed';
  return [{ field: path, kind, from: f, to: t }];
}

/** The audit filters as typed on the screen. */
export interface AuditFilters {
  actor_id?: string;
  entity_type?: string;
  entity_id?: string;
  action?: string;
  /** Local dates `YYYY-MM-DD`, both inclusive. */
  from?: string;
  to?: string;
}

/**
 * The query of GET /audit: the period's local days as instants (`to` inclusive: up to the start
 * of the next day), empty filters left out.
 */
export function auditQuery(f: AuditFilters): Record<string, string> {
  const q: Record<string, string> = {};
  for (const k of ['actor_id', 'entity_type', 'entity_id', 'action'] as const) {
    const v = f[k]?.trim();
    if (v) q[k] = v;
  }
  const day = (s: string | undefined) => (s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00`) : null);
  const from = day(f.from);
  const to = day(f.to);
  if (from) q.from = from.toISOString();
  if (to) q.to = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1).toISOString();
  return q;
}

/** The permission vocabulary by module (the part before `:`), in the vocabulary's order. */
export function permissionGroups(all: readonly Permission[] = ALL_PERMISSIONS): [string, Permission[]][] {
  const groups = new Map<string, Permission[]>();
  for (const p of all) {
    const module = p.split(':')[0];
    groups.set(module, [...(groups.get(module) ?? []), p]);
  }
  return [...groups];
}
