// Permission gating: what the signed-in user may do decides what the screens offer.
import type { ReactNode } from 'react';
import { can, type Permission } from '../lib/permissions';
import { useSession } from '../session/store';

export function useCan() {
  const permissions = useSession((s) => s.permissions);
  return (p: Permission) => can(permissions, p);
}

/**
 * Shows its children only when the signed-in user holds the permission; with `wholeInventory`,
 * only when their inventory changes are not limited to their departments (a department head may
 * not change the category and location trees: the API answers 403).
 */
export function Gate({ need, wholeInventory = false, children }: { need: Permission; wholeInventory?: boolean; children: ReactNode }) {
  const limited = useSession((s) => s.inventoryDepartments !== null);
  return useCan()(need) && !(wholeInventory && limited) ? <>{children}</> : null;
}
