import type { EntityManager } from '@mikro-orm/postgresql';
import {
  effectivePermissions,
  PERMISSIONS,
  type AddMemberInput,
  type Membership,
  type Permission,
  type RemoveMemberResult,
  type Role,
  type SessionSummary,
  type TenantContext,
  type TenantMember,
  type UpdateMemberInput,
} from '@mreg/shared';
import { AppError } from '../../errors';
import { audit } from '../audit/audit.writer';
import { revokeMemberKeys } from '../apikeys/apikeys.service';
import { revokeMemberGrants } from '../oauth/oauth.tokens';
import {
  endTenantSessions,
  flagTokenRotation,
  listSessions,
  publishSessionChanges,
  replaceToken,
  revokeTenantSessions,
  type ActiveSession,
  type SessionChanges,
  type SessionDeps,
} from '../sessions/sessions.store';
import { UserTenantMembership } from './memberships.entity';
import { dropTenantContexts, loadTenantContext } from './tenant-context';

// Memberships: mine (list, switch the active tenant) and, for tenant administrators, everyone's in
// the active tenant. Every change reaches the person's next request on every instance: their cached
// tenant context is dropped, and their sessions in the tenant get a new token (role change) or end
// (deactivation, removal).

type Timestamp = string | Date;
const iso = (value: Timestamp) => new Date(value).toISOString();
const isoOrNull = (value: Timestamp | null) => (value === null ? null : iso(value));

/** My active memberships, by tenant name. */
export async function listMyTenants(em: EntityManager, session: Pick<ActiveSession, 'userId' | 'tenantId'>): Promise<Membership[]> {
  const rows = await em.execute<{ tenant_id: string; name: string; role: Role; joined_at: Timestamp; last_active: Timestamp | null }[]>(
    `select m.tenant_id, t.name, m.role, m.joined_at, m.last_active
       from user_tenant_memberships m join tenants t on t.id = m.tenant_id
      where m.user_id = ? and m.is_active
      order by t.name, m.tenant_id`,
    [session.userId],
  );
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    tenantName: row.name,
    role: row.role,
    joinedAt: iso(row.joined_at),
    lastActive: isoOrNull(row.last_active),
    isActiveTenant: row.tenant_id === session.tenantId,
  }));
}

/**
 * Makes `tenantId` the session's active tenant, under a new token (DESIGN.md: a new token at every
 * privilege change). Only to a tenant where the person has an active membership, read from the
 * database: FORBIDDEN otherwise, and nothing changes.
 */
export async function switchTenant(
  deps: SessionDeps,
  session: Pick<ActiveSession, 'sessionId' | 'userId' | 'tokenHash'>,
  tenantId: string,
): Promise<{ token: string; tenantContext: TenantContext }> {
  const now = deps.clock();
  const { token, changes, tenantContext } = await deps.em.transactional(async (tx) => {
    // Read and locked in the transaction: a deactivation committing meanwhile waits for this
    // switch, and then ends the session it made (or this switch sees it and refuses).
    const context = await loadTenantContext(tx, session.userId, tenantId, { lock: true });
    if (!context) throw new AppError('FORBIDDEN', `You have no active membership of the tenant ${tenantId}`);
    const switched = await replaceToken(tx, session, tenantId);
    // Two switches (or a switch and a sign-out) of one session at once: only the first applies.
    if (!switched) throw new AppError('CONFLICT', 'This session changed while switching tenant (another switch or a sign-out); nothing was switched');
    await tx.nativeUpdate(UserTenantMembership, { user: session.userId, tenant: tenantId }, { lastActive: now });
    await audit(tx, { action: 'tenant.switched', tenantId, actor: { kind: 'user', userId: session.userId }, target: { kind: 'tenant', id: tenantId, label: context.tenantName } });
    return { ...switched, tenantContext: context };
  });
  await publishSessionChanges(deps.cache, changes);
  return { token, tenantContext };
}

interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  display_name: string | null;
  role: Role;
  permissions: string[];
  is_active: boolean;
  joined_at: Timestamp;
  last_active: Timestamp | null;
  home_tenant_id: string | null;
}

const MEMBER_COLUMNS = `m.user_id, u.email, u.name, p.display_name, m.role, m.permissions, m.is_active, m.joined_at, m.last_active, u.home_tenant_id`;
export const MEMBER_FROM = `user_tenant_memberships m join users u on u.id = m.user_id left join user_profiles p on p.user_id = m.user_id`;
/** Most members a listing returns. */
export const MEMBER_LIST_LIMIT = 1000;
/** Admins first (whom the others ask), then members, then viewers. */
export const ADMINS_FIRST = `case m.role when 'admin' then 0 when 'member' then 1 else 2 end`;

const catalogued = (names: readonly string[]): Permission[] => PERMISSIONS.filter((permission) => names.includes(permission));

function toMember(row: MemberRow): TenantMember {
  return {
    userId: row.user_id,
    email: row.email,
    name: row.name,
    displayName: row.display_name,
    role: row.role,
    permissions: catalogued(row.permissions),
    effectivePermissions: effectivePermissions(row.role, row.permissions),
    isActive: row.is_active,
    joinedAt: iso(row.joined_at),
    lastActive: isoOrNull(row.last_active),
  };
}

async function findMember(em: EntityManager, tenantId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await em.execute<MemberRow[]>(`select ${MEMBER_COLUMNS} from ${MEMBER_FROM} where m.tenant_id = ? and m.user_id = ?`, [tenantId, userId]);
  return row;
}

async function memberOrNotFound(em: EntityManager, tenant: TenantContext, userId: string): Promise<MemberRow> {
  const row = await findMember(em, tenant.tenantId, userId);
  if (!row) throw new AppError('NOT_FOUND', `${userId} is not a member of ${tenant.tenantName}`);
  return row;
}

/** The tenant's members, active and deactivated, admins first, then by name. */
export async function listMembers(em: EntityManager, tenant: TenantContext): Promise<TenantMember[]> {
  const rows = await em.execute<MemberRow[]>(
    `select ${MEMBER_COLUMNS} from ${MEMBER_FROM} where m.tenant_id = ?
      order by m.is_active desc, ${ADMINS_FIRST}, u.name, m.user_id
      limit ${MEMBER_LIST_LIMIT}`,
    [tenant.tenantId],
  );
  return rows.map(toMember);
}

/**
 * Serialises membership changes of one tenant (its row is locked until the transaction ends), so
 * that two admins demoting each other at once cannot leave the tenant without one; then rechecks,
 * under the lock, that the acting admin still may manage members (a request that waited on the lock
 * may have been demoted meanwhile). Answers the actor's current context.
 */
export async function lockTenant(tx: EntityManager, tenant: TenantContext, actorId: string): Promise<TenantContext> {
  await tx.execute(`select id from tenants where id = ? for update`, [tenant.tenantId]);
  const actor = await loadTenantContext(tx, actorId, tenant.tenantId);
  if (!actor?.permissions.includes('members:manage')) {
    throw new AppError('FORBIDDEN', `Your membership of ${tenant.tenantName} changed meanwhile and no longer gives members:manage`);
  }
  return actor;
}

/** What `role` with `permissions` holds that the acting admin does not. */
const beyond = (actor: TenantContext, role: Role, permissions: readonly string[]) =>
  effectivePermissions(role, permissions).filter((permission) => !actor.permissions.includes(permission));

/** Refuses to grant what the acting admin does not hold: members:manage is not a way to more rights. */
export function grantable(actor: TenantContext, role: Role, permissions: readonly string[]): void {
  const more = beyond(actor, role, permissions);
  if (more.length > 0) throw new AppError('FORBIDDEN', `You cannot grant permissions you do not hold yourself: ${more.join(', ')}`, { reason: 'beyond_own_rights' });
}

/**
 * Refuses to act on someone who holds what the acting admin does not: managing members is no way to
 * demote, remove or sign out those above oneself.
 */
function outranks(actor: TenantContext, member: MemberRow): void {
  const more = beyond(actor, member.role, member.permissions);
  if (more.length > 0) throw new AppError('FORBIDDEN', `You cannot act on ${member.email}, who holds permissions you do not: ${more.join(', ')}`);
}

/** The same permissions, whatever their order. */
const samePermissions = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((permission) => b.includes(permission));

/** Refuses a change that would leave the tenant without an active admin. */
async function keepAnAdmin(tx: EntityManager, tenant: TenantContext, member: MemberRow, change: string): Promise<void> {
  if (!(member.is_active && member.role === 'admin')) return;
  const [row] = await tx.execute<{ others: string | number }[]>(
    `select count(*) as others from user_tenant_memberships where tenant_id = ? and role = 'admin' and is_active and user_id <> ?`,
    [tenant.tenantId, member.user_id],
  );
  if (Number(row?.others ?? 0) === 0) {
    throw new AppError(
      'CONFLICT',
      `${member.email} is the last active admin of ${tenant.tenantName} and cannot be ${change}; make another member an admin first`,
      { reason: 'last_admin' },
    );
  }
}

/**
 * Who `email` names for `actorId` adding people to `tenant`, found in one query among the people the
 * tenant already has reason to know, since an email claim is not verified across organisations
 * (anyone's directory may say any address): those whose home tenant it is, its own members (only
 * deactivated ones can be added: they come back), and those with an active membership of a tenant
 * where the actor has one too. The nearest of those wins, so that nobody from another organisation
 * can stand in for, or block, someone of the tenant's own; two equally near are refused.
 */
async function personToAdd(tx: EntityManager, tenant: TenantContext, actorId: string, email: string): Promise<string> {
  const found = await tx.execute<{ id: string; nearness: number }[]>(
    `select id, nearness from (
       select u.id, u.created_at, case
           when u.home_tenant_id = ? then 0
           when exists (select 1 from user_tenant_memberships here where here.user_id = u.id and here.tenant_id = ?) then 1
           when exists (
             select 1 from user_tenant_memberships theirs
               join user_tenant_memberships mine on mine.tenant_id = theirs.tenant_id and mine.user_id = ? and mine.is_active
              where theirs.user_id = u.id and theirs.is_active
           ) then 2
         end as nearness
         from users u
        where lower(u.email) = lower(?)
     ) candidates
     where nearness is not null
     order by nearness, created_at
     limit 2`,
    [tenant.tenantId, tenant.tenantId, actorId, email],
  );
  const [first, second] = found;
  if (!first) {
    throw new AppError(
      'NOT_FOUND',
      `No one with the email ${email} is known in ${tenant.tenantName}'s organisation or among the members of your tenants: ` +
        `people of ${tenant.tenantName}'s organisation must have signed in to MREG once, and people from other organisations join by invitation, not by email`,
      { reason: 'unknown_email' },
    );
  }
  if (second && second.nearness === first.nearness) {
    throw new AppError('CONFLICT', `More than one person who could be added to ${tenant.tenantName} has the email ${email}; this cannot tell which one to add`, {
      reason: 'ambiguous_email',
    });
  }
  return first.id;
}

/**
 * Adds a person the tenant has reason to know (personToAdd); a deactivated member is reactivated
 * with the role given, under the rules of updateMember: not by someone they hold more than, and
 * with nothing beyond the actor's own rights.
 */
export async function addMember(deps: SessionDeps, tenant: TenantContext, actorId: string, input: AddMemberInput): Promise<TenantMember> {
  const userId = await deps.em.transactional(async (tx) => {
    const actor = await lockTenant(tx, tenant, actorId);
    const userId = await personToAdd(tx, tenant, actorId, input.email);
    const existing = await findMember(tx, tenant.tenantId, userId);
    if (existing?.is_active) throw new AppError('CONFLICT', `${input.email} is already a member of ${tenant.tenantName}`, { reason: 'already_member' });
    // Bringing someone back changes their membership: updateMember's checks, in its order.
    if (existing) outranks(actor, existing);
    grantable(actor, input.role, []);
    const membership = { role: input.role, permissions: [] as string[], isActive: true, roleManagedBy: 'tenant' as const };
    if (existing) {
      await tx.nativeUpdate(UserTenantMembership, { user: userId, tenant: tenant.tenantId }, membership);
    } else {
      await tx.insert(UserTenantMembership, { user: userId, tenant: tenant.tenantId, joinedAt: deps.clock(), ...membership });
    }
    await audit(tx, {
      action: existing ? 'member.reactivated' : 'member.added',
      tenantId: tenant.tenantId,
      actor: { kind: 'user', userId: actorId },
      target: { kind: 'user', id: userId, label: input.email },
      details: existing ? { role: input.role, previousRole: existing.role } : { role: input.role },
    });
    return userId;
  });
  await dropTenantContexts(deps.tenantCache, tenant.tenantId, [userId]);
  return toMember((await findMember(deps.em, tenant.tenantId, userId))!);
}

/**
 * Changes a member's role, extra permissions or active state. A role or permission change gives
 * their sessions in this tenant a new token at their next request; a deactivation ends them.
 */
export async function updateMember(
  deps: SessionDeps,
  tenant: TenantContext,
  actorId: string,
  input: UpdateMemberInput,
): Promise<TenantMember & { revokedKeyHashes: string[]; revokedTokenHashes: string[] }> {
  const now = deps.clock();
  let revokedKeyHashes: string[] = [];
  let revokedTokenHashes: string[] = [];
  const changes = await deps.em.transactional(async (tx): Promise<SessionChanges | null> => {
    const actor = await lockTenant(tx, tenant, actorId);
    const member = await memberOrNotFound(tx, tenant, input.userId);
    outranks(actor, member);
    const role = input.role ?? member.role;
    const isActive = input.isActive ?? member.is_active;
    const permissions = input.permissions ?? catalogued(member.permissions);
    const privilegeChanged = role !== member.role || !samePermissions(permissions, catalogued(member.permissions));
    if (privilegeChanged) grantable(actor, role, permissions);
    if (role !== 'admin') await keepAnAdmin(tx, tenant, member, 'made a non-admin');
    if (!isActive) await keepAnAdmin(tx, tenant, member, 'deactivated');
    await tx.nativeUpdate(
      UserTenantMembership,
      { user: input.userId, tenant: tenant.tenantId },
      { role, permissions, isActive, ...(privilegeChanged ? { roleManagedBy: 'tenant' as const } : {}) },
    );
    const action = member.is_active && !isActive ? 'member.deactivated' : !member.is_active && isActive ? 'member.reactivated' : privilegeChanged ? 'member.role_changed' : null;
    if (action) {
      await audit(tx, {
        action,
        tenantId: tenant.tenantId,
        actor: { kind: 'user', userId: actorId },
        target: { kind: 'user', id: input.userId, label: member.email },
        details: { role, previousRole: member.role, permissions, previousPermissions: catalogued(member.permissions) },
      });
    }

    if (member.is_active && !isActive) {
      // Deactivated: their sessions here end, and their API keys and connected apps here are revoked for good.
      revokedKeyHashes = await revokeMemberKeys(tx, now, input.userId, tenant.tenantId);
      revokedTokenHashes = await revokeMemberGrants(tx, now, input.userId, tenant.tenantId);
      return endTenantSessions(tx, now, input.userId, tenant.tenantId);
    }
    if (isActive && privilegeChanged) return flagTokenRotation(tx, now, input.userId, tenant.tenantId);
    return null;
  });
  if (changes) await publishSessionChanges(deps.cache, changes);
  await dropTenantContexts(deps.tenantCache, tenant.tenantId, [input.userId]);
  return { ...toMember((await findMember(deps.em, tenant.tenantId, input.userId))!), revokedKeyHashes, revokedTokenHashes };
}

/**
 * Removes a member; their sessions in this tenant end with the membership. Not from their home
 * tenant, which their directory says they belong to: deactivation keeps them out of it.
 */
export async function removeMember(
  deps: SessionDeps,
  tenant: TenantContext,
  actorId: string,
  userId: string,
): Promise<RemoveMemberResult & { endedSessionIds: string[]; revokedKeyHashes: string[]; revokedTokenHashes: string[] }> {
  const now = deps.clock();
  let revokedKeyHashes: string[] = [];
  let revokedTokenHashes: string[] = [];
  const changes = await deps.em.transactional(async (tx) => {
    const actor = await lockTenant(tx, tenant, actorId);
    const member = await memberOrNotFound(tx, tenant, userId);
    outranks(actor, member);
    await keepAnAdmin(tx, tenant, member, 'removed');
    if (member.home_tenant_id === tenant.tenantId) {
      throw new AppError(
        'CONFLICT',
        `${tenant.tenantName} is the home tenant of ${member.email}: their next sign-in would bring the membership back; deactivate it instead`,
        { reason: 'home_tenant' },
      );
    }
    await tx.nativeDelete(UserTenantMembership, { user: userId, tenant: tenant.tenantId });
    await audit(tx, {
      action: 'member.removed',
      tenantId: tenant.tenantId,
      actor: { kind: 'user', userId: actorId },
      target: { kind: 'user', id: userId, label: member.email },
      details: { role: member.role },
    });
    // Their API keys and connected apps here go with the membership, for good: being added again brings none back.
    revokedKeyHashes = await revokeMemberKeys(tx, now, userId, tenant.tenantId);
    revokedTokenHashes = await revokeMemberGrants(tx, now, userId, tenant.tenantId);
    return endTenantSessions(tx, now, userId, tenant.tenantId);
  });
  await publishSessionChanges(deps.cache, changes);
  await dropTenantContexts(deps.tenantCache, tenant.tenantId, [userId]);
  return { userId, sessionsEnded: changes.endedIds.length, endedSessionIds: changes.endedIds, revokedKeyHashes, revokedTokenHashes };
}

/** A member's live sessions in this tenant (not their sessions in other tenants). `tenant` is the actor's context. */
export async function memberSessions(
  deps: SessionDeps,
  tenant: TenantContext,
  current: { sessionId: string | null },
  userId: string,
): Promise<SessionSummary[]> {
  outranks(tenant, await memberOrNotFound(deps.em, tenant, userId));
  return listSessions(deps, { userId, sessionId: current.sessionId }, tenant.tenantId);
}

/** NOT_FOUND unless `userId` is a member of the tenant whom the actor outranks or equals: whose sessions and connected apps the actor may see and end. */
export async function administeredMember(em: EntityManager, tenant: TenantContext, userId: string): Promise<void> {
  outranks(tenant, await memberOrNotFound(em, tenant, userId));
}

/** `actorId` ends a member's sessions in this tenant, each recorded (session.revoked); returns the ids ended. */
export async function revokeMemberSessions(deps: SessionDeps, tenant: TenantContext, actorId: string, userId: string): Promise<string[]> {
  outranks(tenant, await memberOrNotFound(deps.em, tenant, userId));
  return revokeTenantSessions(deps, actorId, userId, tenant.tenantId);
}
