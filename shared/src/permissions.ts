import { z } from 'zod';
import type { Role } from './roles';

/**
 * What a member may do in a tenant. Each role grants a fixed set; a membership's own `permissions`
 * list adds to it. The effective set is what `auth.user.permissions` reports and what procedures check.
 */
export const PERMISSIONS = [
  'registry:read',
  'registry:write',
  'tools:call',
  'members:read',
  'members:manage',
  'sessions:manage',
  'audit:read',
] as const;
export const ZPermission = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof ZPermission>;

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  member: ['registry:read', 'registry:write', 'tools:call', 'members:read'],
  viewer: ['registry:read', 'members:read'],
};

/** The role's permissions plus the membership's extra ones, in catalogue order, unknown names dropped. */
export function effectivePermissions(role: Role, extra: readonly string[] = []): Permission[] {
  const granted = new Set<string>([...ROLE_PERMISSIONS[role], ...extra]);
  return PERMISSIONS.filter((permission) => granted.has(permission));
}
