import { describe, expect, it } from 'vitest';
import { can, movementAllowed, offeredMovements, MOVEMENT_KINDS, type ItemStatus } from './permissions';

describe('permission gating', () => {
  it('grants what is listed and everything to admin:full', () => {
    expect(can(['inventory:view'], 'inventory:view')).toBe(true);
    expect(can(['inventory:view'], 'inventory:edit')).toBe(false);
    expect(can(['admin:full'], 'users:delete')).toBe(true);
    expect(can([], 'inventory:view')).toBe(false);
  });

  it('offers a viewer no movement at all', () => {
    const viewer = ['inventory:view', 'documents:view', 'performance:view', 'schedule:view'];
    for (const s of ['in_stock', 'reserved', 'in_use', 'in_repair', 'on_tour', 'written_off'] as ItemStatus[]) {
      expect(offeredMovements(s, viewer)).toEqual([]);
    }
  });

  it('offers an item in stock issue, reserve, transfer, repair and write-off to an admin', () => {
    expect(offeredMovements('in_stock', ['admin:full']).sort()).toEqual(
      ['issue', 'repair_start', 'reserve', 'transfer', 'write_off'].sort(),
    );
  });

  it('offers only return and write-off for an issued item', () => {
    expect(offeredMovements('in_use', ['admin:full']).sort()).toEqual(['return', 'write_off']);
  });

  it('hides reserve and write-off from a head of department without those permissions', () => {
    const props = ['inventory:view', 'inventory:create', 'inventory:edit'];
    expect(offeredMovements('in_stock', props).sort()).toEqual(['issue', 'repair_start', 'transfer']);
  });

  it('follows the state machine of DOMAIN.md for every pair', () => {
    const table: Record<ItemStatus, string[]> = {
      in_stock: ['issue', 'reserve', 'transfer', 'repair_start', 'write_off'],
      reserved: ['issue', 'release', 'transfer', 'write_off'],
      in_use: ['return', 'write_off'],
      in_repair: ['repair_end', 'transfer', 'write_off'],
      on_tour: ['transfer', 'write_off'],
      written_off: [],
    };
    for (const [status, allowed] of Object.entries(table) as [ItemStatus, string[]][]) {
      for (const kind of MOVEMENT_KINDS) {
        expect(movementAllowed(kind, status), `${kind} from ${status}`).toBe(allowed.includes(kind));
      }
    }
  });
});
