// Bulk actions on selected items (`POST /inventory/items/bulk`): which ones the user may run,
// the request, and the outcome per item. All-or-nothing (the API's default) answers a refusal
// with 409 whose `results` say why each item failed; per item, a 200 lists each item's fate.

import { can, MOVEMENT_KINDS, movementPermission, type MovementKind, type Permission } from './permissions';
import type { Problem } from './problem';

export type BulkAction = 'movement' | 'add_tags' | 'remove_tags' | 'set_category' | 'delete';
export type BulkChoice = { action: 'movement'; kind: MovementKind } | { action: Exclude<BulkAction, 'movement'> };

export interface BulkItemResult { id: string; ok: boolean; status: number; detail?: string | null; current_status?: string | null }
export interface BulkOutcome { committed: boolean; succeeded: number; failed: number; results: Map<string, BulkItemResult> }

const NEEDS: Record<Exclude<BulkAction, 'movement'>, Permission> = {
  add_tags: 'inventory:edit',
  remove_tags: 'inventory:edit',
  set_category: 'inventory:edit',
  delete: 'inventory:delete',
};

/** The bulk actions the user's permissions allow (the API checks each again). */
export function offeredBulkActions(granted: readonly string[]): BulkChoice[] {
  const moves: BulkChoice[] = MOVEMENT_KINDS.filter((k) => can(granted, movementPermission(k))).map((kind) => ({ action: 'movement', kind }));
  const others = (Object.keys(NEEDS) as (keyof typeof NEEDS)[]).filter((a) => can(granted, NEEDS[a])).map((action) => ({ action }));
  return [...moves, ...others];
}

export const choiceKey = (c: BulkChoice) => (c.action === 'movement' ? `movement:${c.kind}` : c.action);

export interface BulkParams { tags?: string; category_id?: string; to_location_id?: string; due_at?: string | null; holder_user_id?: string | null; comment?: string }

/** The request body for a choice over `ids`. */
export function bulkBody(choice: BulkChoice, ids: string[], params: BulkParams, perItem: boolean) {
  const tags = (params.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return {
    ids,
    action: choice.action,
    per_item: perItem,
    tags: choice.action === 'add_tags' || choice.action === 'remove_tags' ? tags : null,
    category_id: choice.action === 'set_category' ? params.category_id || null : null,
    movement: choice.action === 'movement'
      ? {
          kind: choice.kind,
          quantity: null,
          to_location_id: choice.kind === 'transfer' ? params.to_location_id || null : null,
          holder_user_id: choice.kind === 'issue' ? params.holder_user_id ?? null : null,
          holder_performance_id: null,
          holder_event_id: null,
          due_at: choice.kind === 'issue' ? params.due_at ?? null : null,
          condition: null,
          comment: params.comment?.trim() || null,
        }
      : null,
  };
}

/** A 200's body or a 409's problem as one outcome keyed by item; anything else is not an outcome. */
export function bulkOutcome(answer: { committed: boolean; succeeded: number; failed: number; results: BulkItemResult[] } | Problem): BulkOutcome | null {
  const results = (answer as { results?: unknown }).results;
  if (!Array.isArray(results)) return null;
  const list = results as BulkItemResult[];
  const failed = list.filter((r) => !r.ok).length;
  const committed = (answer as { committed?: boolean }).committed === true;
  return { committed, succeeded: list.length - failed, failed, results: new Map(list.map((r) => [r.id, r])) };
}
