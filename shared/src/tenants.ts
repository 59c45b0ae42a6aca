import { z } from 'zod';
import { ZIsoDate } from './auth';
import { orRequired } from './messages';
import { PERMISSIONS, ZPermission } from './permissions';
import { ZRole } from './roles';

/** Longest tenant id accepted (Entra ID tenant ids are GUIDs; the column holds 100 characters). */
export const TENANT_ID_MAX_LENGTH = 100;
/** Longest email address (RFC 5321). */
export const EMAIL_MAX_LENGTH = 320;

export const ZTenantId = z
  .string({ error: orRequired('must be a tenant id') })
  .min(1, { error: 'must not be empty' })
  .max(TENANT_ID_MAX_LENGTH, { error: `is longer than ${TENANT_ID_MAX_LENGTH} characters` })
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused (PostgreSQL cannot even store U+0000)
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { error: 'must not contain control characters' });

/** One of my memberships, as `auth.tenants` lists them. */
export const ZMembership = z.object({
  tenantId: z.string(),
  tenantName: z.string(),
  role: ZRole,
  joinedAt: ZIsoDate,
  /** When I last switched to or signed in to this tenant. */
  lastActive: ZIsoDate.nullable(),
  /** The session's active tenant. */
  isActiveTenant: z.boolean(),
});
export type Membership = z.infer<typeof ZMembership>;
export const ZMembershipList = z.array(ZMembership);

export const ZSwitchTenantInput = z.strictObject({ tenantId: ZTenantId });
export type SwitchTenantInput = z.infer<typeof ZSwitchTenantInput>;

/** A member of the active tenant, as tenant administrators see them. */
export const ZTenantMember = z.object({
  userId: z.uuid(),
  email: z.string(),
  name: z.string(),
  displayName: z.string().nullable(),
  role: ZRole,
  /** Permissions granted to this membership beyond its role's. */
  permissions: z.array(ZPermission),
  /** What the member may do: the role's permissions and the extra ones. */
  effectivePermissions: z.array(ZPermission),
  isActive: z.boolean(),
  joinedAt: ZIsoDate,
  lastActive: ZIsoDate.nullable(),
});
export type TenantMember = z.infer<typeof ZTenantMember>;
export const ZTenantMemberList = z.array(ZTenantMember);

/**
 * A member of the active tenant as every member sees them (`tenants.directory`, members:read): who
 * they are and their role, so that people know whom to ask. Nothing only admins may see: no email,
 * permissions, sessions or activity. Active members only.
 */
export const ZDirectoryMember = z.object({
  userId: z.uuid(),
  /** The name they chose on their profile, else their directory's. */
  name: z.string(),
  avatarUrl: z.string().nullable(),
  role: ZRole,
});
export type DirectoryMember = z.infer<typeof ZDirectoryMember>;
export const ZDirectory = z.array(ZDirectoryMember);

export const ZUserId = z.uuid({ error: orRequired('must be a user id (a UUID)') });

export const ZRemoveMemberInput = z.strictObject({ userId: ZUserId });
export type RemoveMemberInput = z.infer<typeof ZRemoveMemberInput>;
export const ZListMemberSessionsInput = z.strictObject({ userId: ZUserId });
export type ListMemberSessionsInput = z.infer<typeof ZListMemberSessionsInput>;
export const ZRevokeMemberSessionsInput = z.strictObject({ userId: ZUserId });
export type RevokeMemberSessionsInput = z.infer<typeof ZRevokeMemberSessionsInput>;

export const ZAddMemberInput = z.strictObject({
  email: z
    .string({ error: orRequired('must be an email address') })
    .trim()
    .max(EMAIL_MAX_LENGTH, { error: `is longer than ${EMAIL_MAX_LENGTH} characters` })
    .pipe(z.email({ error: 'must be an email address' })),
  role: ZRole,
});
export type AddMemberInput = z.infer<typeof ZAddMemberInput>;

export const ZUpdateMemberInput = z
  .strictObject({
    userId: ZUserId,
    role: ZRole.optional(),
    /** Replaces the membership's extra permissions (the role's own always apply). */
    permissions: z
      .array(ZPermission)
      .max(PERMISSIONS.length, { error: `lists more than the ${PERMISSIONS.length} permissions there are` })
      .refine((list) => new Set(list).size === list.length, { error: 'lists a permission twice' })
      .optional(),
    isActive: z.boolean().optional(),
  })
  .refine((input) => input.role !== undefined || input.permissions !== undefined || input.isActive !== undefined, {
    error: 'give at least one of role, permissions or isActive',
  });
export type UpdateMemberInput = z.infer<typeof ZUpdateMemberInput>;

export const ZRemoveMemberResult = z.object({
  userId: z.uuid(),
  /** The member's sessions in this tenant that ended with the membership. */
  sessionsEnded: z.number().int().nonnegative(),
});
export type RemoveMemberResult = z.infer<typeof ZRemoveMemberResult>;
