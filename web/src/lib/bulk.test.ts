import { describe, expect, it } from 'vitest';
import { bulkBody, bulkOutcome, choiceKey, offeredBulkActions } from './bulk';

describe('bulk actions', () => {
  it('offers only what the permissions allow', () => {
    const viewer = offeredBulkActions(['inventory:view']);
    expect(viewer).toEqual([]);
    const head = offeredBulkActions(['inventory:view', 'inventory:edit', 'inventory:reserve']).map(choiceKey);
    expect(head).toContain('movement:issue');
    expect(head).toContain('movement:reserve');
    expect(head).toContain('add_tags');
    expect(head).not.toContain('movement:write_off');
    expect(head).not.toContain('delete');
    expect(offeredBulkActions(['admin:full']).map(choiceKey)).toContain('delete');
  });

  it('builds the request of a choice', () => {
    expect(bulkBody({ action: 'add_tags' }, ['a'], { tags: ' хрупкое, , бронза ' }, false)).toMatchObject({
      ids: ['a'], action: 'add_tags', tags: ['хрупкое', 'бронза'], movement: null, category_id: null, per_item: false,
    });
    const move = bulkBody({ action: 'movement', kind: 'transfer' }, ['a', 'b'], { to_location_id: 'stage', comment: ' ' }, true);
    expect(move.movement).toMatchObject({ kind: 'transfer', to_location_id: 'stage', comment: null, holder_user_id: null });
    expect(move.tags).toBeNull();
  });

  it('reads both a 200 and an all-or-nothing 409 as per-item results', () => {
    const ok = bulkOutcome({ committed: true, succeeded: 1, failed: 0, results: [{ id: 'a', ok: true, status: 200 }] });
    expect(ok?.committed).toBe(true);
    expect(ok?.results.get('a')?.ok).toBe(true);
    const refused = bulkOutcome({
      status: 409,
      detail: '1 of 2 items could not be changed; nothing was changed',
      results: [{ id: 'a', ok: true, status: 200 }, { id: 'b', ok: false, status: 409, detail: 'item is in_use', current_status: 'in_use' }],
    });
    expect(refused).toMatchObject({ committed: false, succeeded: 1, failed: 1 });
    expect(refused?.results.get('b')?.current_status).toBe('in_use');
    expect(bulkOutcome({ status: 422, errors: [] })).toBeNull();
  });
});
