import type { Permission, TenantContext } from '@mreg/shared';
import type { ZodError } from 'zod';
import { AppError } from '../errors';

/**
 * The tenant rules of DESIGN.md's request flow, for tRPC's procedures (trpc/trpc.ts) and the plain
 * routes alike (the audit export): an active membership of the active tenant, then the permission.
 */

/** The active tenant's context, or FORBIDDEN (no_active_membership). */
export function requireTenant(tenant: TenantContext | null | undefined): TenantContext {
  if (!tenant) {
    throw new AppError('FORBIDDEN', 'You have no active membership of the active tenant; switch to a tenant you belong to', { reason: 'no_active_membership' });
  }
  return tenant;
}

/** The active tenant's context when it grants `permission`; FORBIDDEN naming it (missing_permission) otherwise. */
export function requireTenantPermission(tenant: TenantContext | null | undefined, permission: Permission): TenantContext {
  const active = requireTenant(tenant);
  if (!active.permissions.includes(permission)) {
    throw new AppError('FORBIDDEN', `This needs the permission ${permission} in ${active.tenantName}, which your role there (${active.role}) does not give`, {
      reason: 'missing_permission',
    });
  }
  return active;
}

/** Bad input in words, field by field ("sessionId: must be a UUID; age: ..."), instead of zod's JSON. */
export function describeIssues(error: ZodError, whole = 'input'): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : whole}: ${issue.message}`).join('; ');
}
