// Shows its children only when the signed-in user holds the permission.
import type { ReactNode } from 'react';
import { can, type Permission } from '../lib/permissions';
import { useSession } from '../session/store';

export function useCan() {
  const permissions = useSession((s) => s.permissions);
  return (p: Permission) => can(permissions, p);
}

export function Gate({ need, children }: { need: Permission; children: ReactNode }) {
  return useCan()(need) ? <>{children}</> : null;
}
