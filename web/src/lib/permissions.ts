// What the signed-in user may do: the API's permission strings (DOMAIN.md), `admin:full` grants all.
// The UI hides what is not allowed; the API still checks everything (a forged request gets 403).

export type Permission =
  | 'inventory:view' | 'inventory:create' | 'inventory:edit' | 'inventory:delete'
  | 'inventory:write_off' | 'inventory:reserve'
  | 'documents:view' | 'documents:view_financial' | 'documents:create' | 'documents:edit'
  | 'documents:delete'
  | 'performance:view' | 'performance:create' | 'performance:edit' | 'performance:delete'
  | 'schedule:view' | 'schedule:edit'
  | 'users:view' | 'users:create' | 'users:edit' | 'users:delete'
  | 'audit:view' | 'system:settings' | 'admin:full';

export const ALL_PERMISSIONS: Permission[] = [
  'inventory:view', 'inventory:create', 'inventory:edit', 'inventory:delete', 'inventory:write_off',
  'inventory:reserve', 'documents:view', 'documents:view_financial', 'documents:create',
  'documents:edit', 'documents:delete', 'performance:view', 'performance:create',
  'performance:edit', 'performance:delete', 'schedule:view', 'schedule:edit', 'users:view',
  'users:create', 'users:edit', 'users:delete', 'audit:view', 'system:settings', 'admin:full',
];

/** Every report needs one of these (and some a second one): the Reports entry shows with any. */
export const REPORT_PERMISSIONS: Permission[] = ['inventory:view', 'performance:view', 'schedule:view', 'documents:view'];

export function can(granted: readonly string[], needed: Permission): boolean {
  return granted.includes('admin:full') || granted.includes(needed);
}

export type ItemStatus = 'in_stock' | 'reserved' | 'in_use' | 'in_repair' | 'on_tour' | 'written_off';
export type MovementKind =
  | 'transfer' | 'reserve' | 'release' | 'issue' | 'return' | 'repair_start' | 'repair_end'
  | 'write_off';

/** DOMAIN.md "Allowed transitions": which movements an item in `status` accepts. */
export function movementAllowed(kind: MovementKind, status: ItemStatus): boolean {
  switch (kind) {
    case 'reserve': return status === 'in_stock';
    case 'release': return status === 'reserved';
    case 'issue': return status === 'in_stock' || status === 'reserved';
    case 'return': return status === 'in_use';
    case 'repair_start': return status === 'in_stock';
    case 'repair_end': return status === 'in_repair';
    case 'transfer': return status !== 'written_off' && status !== 'in_use';
    case 'write_off': return status !== 'written_off';
  }
}

/** The permission each movement needs (the inventory function's `MovementKind::permission`). */
export function movementPermission(kind: MovementKind): Permission {
  switch (kind) {
    case 'reserve':
    case 'release':
      return 'inventory:reserve';
    case 'write_off':
      return 'inventory:write_off';
    default:
      return 'inventory:edit';
  }
}

export const MOVEMENT_KINDS: MovementKind[] = [
  'issue', 'return', 'reserve', 'release', 'transfer', 'repair_start', 'repair_end', 'write_off',
];

/** The movements offered on an item card: allowed by its status and by the user's permissions. */
export function offeredMovements(status: ItemStatus, granted: readonly string[]): MovementKind[] {
  return MOVEMENT_KINDS.filter((k) => movementAllowed(k, status) && can(granted, movementPermission(k)));
}
