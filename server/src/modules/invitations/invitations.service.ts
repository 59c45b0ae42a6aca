import type { EntityManager } from '@mikro-orm/postgresql';
import {
  INVITATIONS_PER_TENANT,
  normalizeEmail,
  type Invitation,
  type InvitationLink,
  type InvitationView,
  type InviteInput,
  type ErrorReason,
  type Role,
  type TenantContext,
} from '@mreg/shared';
import { AppError } from '../../errors';
import { audit, type PersonActor } from '../audit/audit.writer';
import { hashToken, newToken } from '../../lib/tokens';
import { sessionDeps, type ActiveSession, type SessionDeps } from '../sessions/sessions.store';
import { dropTenantContexts } from '../tenants/tenant-context';
import { grantable, lockTenant, switchTenant } from '../tenants/tenants.service';

/**
 * Invitations to a tenant (issue 22). An admin invites by email and role; the answer carries the
 * single-use link (`<public URL>/invitations/<token>`), which MREG keeps only as a SHA-256 and sends
 * to no one. A new link for an invitation (renew, or inviting again once it has expired) replaces
 * the token (the old link stops working) and starts the expiry again; inviting an email whose
 * invitation is still open is refused (already_invited). The invited person, signed in with that email
 * (compared after normalizeEmail), accepts (a membership with the role, and the session switches to
 * the tenant) or declines; either answers the invitation for good.
 */

interface InvitationRow {
  id: string;
  tenant_id: string;
  tenant_name: string;
  email: string;
  role: Role;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  declined_at: Date | null;
  revoked_at: Date | null;
}

const SELECT_INVITATION = `select i.id, i.tenant_id, t.name as tenant_name, i.email, i.role, coalesce(p.display_name, u.name) as invited_by,
       i.created_at, i.expires_at, i.accepted_at, i.declined_at, i.revoked_at
  from tenant_invitations i join tenants t on t.id = i.tenant_id
  left join users u on u.id = i.invited_by_id left join user_profiles p on p.user_id = i.invited_by_id`;

/** Not answered and not revoked (expired ones included: a new link renews them). */
const OPEN = `i.accepted_at is null and i.declined_at is null and i.revoked_at is null`;

function toInvitation(row: InvitationRow, now: Date): Invitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    invitedBy: row.invited_by,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    expired: new Date(row.expires_at).getTime() <= now.getTime(),
  };
}

const linkFor = (publicUrl: URL, token: string) => `${publicUrl.origin}/invitations/${token}`;

export interface InvitationDeps extends SessionDeps {
  publicUrl: URL;
}

/** The deps from a tRPC context. */
export const invitationDeps = (ctx: Parameters<typeof sessionDeps>[0] & { settings: { publicUrl: URL } }): InvitationDeps => ({
  ...sessionDeps(ctx),
  publicUrl: ctx.settings.publicUrl,
});

/** The tenant's open invitations, newest first. */
export async function listInvitations(deps: InvitationDeps, tenant: TenantContext): Promise<Invitation[]> {
  const rows = await deps.em.execute<InvitationRow[]>(`${SELECT_INVITATION} where i.tenant_id = ? and ${OPEN} order by i.created_at desc, i.id`, [tenant.tenantId]);
  const now = deps.clock();
  return rows.map((row) => toInvitation(row, now));
}

async function loadInvitation(em: EntityManager, where: string, params: unknown[]): Promise<InvitationRow | undefined> {
  const [row] = await em.execute<InvitationRow[]>(`${SELECT_INVITATION} where ${where}`, params);
  return row;
}

/**
 * Invites `input.email` with `input.role` (no more than the inviting admin holds). Someone already an
 * active member is refused (CONFLICT, already_member), and so is an email with an open invitation
 * (CONFLICT, already_invited): its link is not replaced behind the admin's back; Resend gives a new
 * one. An expired invitation for the same email is replaced by the new one.
 */
export async function invite(deps: InvitationDeps, tenant: TenantContext, by: PersonActor, input: InviteInput): Promise<InvitationLink> {
  const actorId = by.userId;
  const email = normalizeEmail(input.email);
  const now = deps.clock();
  const token = newToken();
  const days = input.expiresInDays ?? 7;
  const id = await deps.em.transactional(async (tx) => {
    const actor = await lockTenant(tx, tenant, actorId);
    grantable(actor, input.role, []);
    const [member] = await tx.execute(
      `select 1 from user_tenant_memberships m join users u on u.id = m.user_id where m.tenant_id = ? and m.is_active and lower(u.email) = ?`,
      [tenant.tenantId, email],
    );
    if (member) throw new AppError('CONFLICT', `${email} is already a member of ${tenant.tenantName}`, { reason: 'already_member' });
    const [pending] = await tx.execute(`select 1 from tenant_invitations i where i.tenant_id = ? and i.email = ? and ${OPEN} and i.expires_at > ?`, [
      tenant.tenantId,
      email,
      now,
    ]);
    if (pending) {
      throw new AppError('CONFLICT', `${email} has an open invitation to ${tenant.tenantName} already; resend it for a new link, or revoke it first`, {
        reason: 'already_invited',
      });
    }
    const [open] = await tx.execute<{ count: string }[]>(`select count(*) from tenant_invitations i where i.tenant_id = ? and ${OPEN} and i.expires_at > ?`, [
      tenant.tenantId,
      now,
    ]);
    if (Number(open?.count ?? 0) >= INVITATIONS_PER_TENANT) {
      throw new AppError('CONFLICT', `${tenant.tenantName} has ${INVITATIONS_PER_TENANT} open invitations, the most it may have; revoke some first`, {
        reason: 'too_many_invitations',
      });
    }
    const [row] = await tx.execute<{ id: string }[]>(
      `insert into tenant_invitations (tenant_id, email, role, token_hash, invited_by_id, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)
         on conflict (tenant_id, email) where accepted_at is null and declined_at is null and revoked_at is null
         do update set role = excluded.role, token_hash = excluded.token_hash, invited_by_id = excluded.invited_by_id,
                       created_at = excluded.created_at, expires_at = excluded.expires_at
       returning id`,
      [tenant.tenantId, email, input.role, hashToken(token), actorId, now, new Date(now.getTime() + days * 86_400_000)],
    );
    await audit(tx, {
      action: 'invitation.created',
      tenantId: tenant.tenantId,
      actor: by,
      target: { kind: 'invitation', id: row!.id, label: email },
      details: { role: input.role, expiresInDays: days },
    });
    return row!.id;
  });
  const row = (await loadInvitation(deps.em, 'i.id = ?', [id]))!;
  return { invitation: toInvitation(row, now), link: linkFor(deps.publicUrl, token) };
}

/** A new link for an open invitation (the old one stops working), valid as long again as the first was. */
export async function renewInvitation(deps: InvitationDeps, tenant: TenantContext, by: PersonActor, id: string): Promise<InvitationLink> {
  const actorId = by.userId;
  const now = deps.clock();
  const token = newToken();
  const renewed = await deps.em.transactional(async (tx) => {
    const actor = await lockTenant(tx, tenant, actorId);
    const row = await loadInvitation(tx, `i.id = ? and i.tenant_id = ? and ${OPEN}`, [id, tenant.tenantId]);
    if (!row) throw new AppError('NOT_FOUND', 'No such open invitation in this tenant (it may have been answered or revoked)');
    grantable(actor, row.role, []);
    const lifetime = new Date(row.expires_at).getTime() - new Date(row.created_at).getTime();
    await tx.execute(`update tenant_invitations set token_hash = ?, created_at = ?, expires_at = ?, invited_by_id = ? where id = ?`, [
      hashToken(token),
      now,
      new Date(now.getTime() + lifetime),
      actorId,
      id,
    ]);
    await audit(tx, { action: 'invitation.renewed', tenantId: tenant.tenantId, actor: by, target: { kind: 'invitation', id, label: row.email } });
    return true;
  });
  if (!renewed) throw new AppError('NOT_FOUND', 'No such open invitation');
  const row = (await loadInvitation(deps.em, 'i.id = ?', [id]))!;
  return { invitation: toInvitation(row, now), link: linkFor(deps.publicUrl, token) };
}

/** Revokes an open invitation: its link says so from now on. */
export async function revokeInvitation(deps: InvitationDeps, tenant: TenantContext, actor: PersonActor, id: string): Promise<{ revoked: true }> {
  await deps.em.transactional(async (tx) => {
    const [row] = await tx.execute<{ email: string }[]>(
      `update tenant_invitations i set revoked_at = ? where i.id = ? and i.tenant_id = ? and ${OPEN} returning i.email`,
      [deps.clock(), id, tenant.tenantId],
    );
    if (!row) throw new AppError('NOT_FOUND', 'No such open invitation in this tenant (it may have been answered or revoked already)');
    await audit(tx, { action: 'invitation.revoked', tenantId: tenant.tenantId, actor, target: { kind: 'invitation', id, label: row.email } });
  });
  return { revoked: true };
}

async function yourEmail(em: EntityManager, userId: string): Promise<string> {
  const [row] = await em.execute<{ email: string }[]>(`select email from users where id = ?`, [userId]);
  return row?.email ?? '';
}

function statusOf(row: InvitationRow, now: Date): InvitationView['status'] {
  if (row.accepted_at) return 'accepted';
  if (row.declined_at) return 'declined';
  if (row.revoked_at) return 'revoked';
  return new Date(row.expires_at).getTime() <= now.getTime() ? 'expired' : 'pending';
}

const NO_SUCH_LINK = 'This invitation link is not valid: it may have been replaced by a newer link, or mistyped; ask the person who invited you for a new one';

/** What the invitation page shows the signed-in person who opened `token`'s link; NOT_FOUND for a link that never was (or was replaced). */
export async function viewInvitation(deps: InvitationDeps, userId: string, token: string): Promise<InvitationView> {
  const row = await loadInvitation(deps.em, 'i.token_hash = ?', [hashToken(token)]);
  if (!row) throw new AppError('NOT_FOUND', NO_SUCH_LINK, { reason: 'invitation_not_found' });
  const email = await yourEmail(deps.em, userId);
  return {
    tenantName: row.tenant_name,
    role: row.role,
    email: row.email,
    invitedBy: row.invited_by,
    expiresAt: new Date(row.expires_at).toISOString(),
    status: statusOf(row, deps.clock()),
    forYou: normalizeEmail(email) === row.email,
    yourEmail: email,
  };
}

const NOT_OPEN: Record<Exclude<InvitationView['status'], 'pending'>, { message: string; reason: ErrorReason }> = {
  expired: { message: 'This invitation has expired; ask the person who invited you for a new link', reason: 'invitation_expired' },
  revoked: { message: 'This invitation was revoked by an admin of the tenant', reason: 'invitation_revoked' },
  accepted: { message: 'This invitation was accepted already; it works only once', reason: 'invitation_used' },
  declined: { message: 'This invitation was declined already; it works only once', reason: 'invitation_used' },
};

/** The invitation behind `token`, locked, if it is open and for `userId`; the refusal in words otherwise. */
async function openInvitationFor(tx: EntityManager, userId: string, token: string, now: Date): Promise<InvitationRow> {
  const [locked] = await tx.execute<{ id: string }[]>(`select id from tenant_invitations where token_hash = ? for update`, [hashToken(token)]);
  const row = locked && (await loadInvitation(tx, 'i.id = ?', [locked.id]));
  if (!row) throw new AppError('NOT_FOUND', NO_SUCH_LINK, { reason: 'invitation_not_found' });
  const status = statusOf(row, now);
  if (status !== 'pending') throw new AppError('CONFLICT', NOT_OPEN[status].message, { reason: NOT_OPEN[status].reason });
  const email = await yourEmail(tx, userId);
  if (normalizeEmail(email) !== row.email) {
    throw new AppError('FORBIDDEN', `This invitation is for ${row.email}, and you are signed in as ${email}: sign in as ${row.email} to accept it`, {
      reason: 'invitation_wrong_person',
    });
  }
  return row;
}

/**
 * Accepts: the person becomes an active member with the invited role (a deactivated membership
 * comes back with it), and the session switches to the tenant under a new token.
 */
export async function acceptInvitation(
  deps: InvitationDeps,
  session: Pick<ActiveSession, 'sessionId' | 'userId' | 'tokenHash'>,
  token: string,
): Promise<{ token: string; tenantContext: TenantContext }> {
  const now = deps.clock();
  const tenantId = await deps.em.transactional(async (tx) => {
    const row = await openInvitationFor(tx, session.userId, token, now);
    // Membership changes of a tenant are serialised on its row, as tenant administration does.
    await tx.execute(`select id from tenants where id = ? for update`, [row.tenant_id]);
    const [existing] = await tx.execute<{ is_active: boolean }[]>(`select is_active from user_tenant_memberships where user_id = ? and tenant_id = ?`, [
      session.userId,
      row.tenant_id,
    ]);
    await tx.execute(
      `insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active, joined_at, role_managed_by)
       values (?, ?, ?, '[]', true, ?, 'tenant')
       on conflict (user_id, tenant_id) do update set
         role = case when user_tenant_memberships.is_active then user_tenant_memberships.role else excluded.role end,
         permissions = case when user_tenant_memberships.is_active then user_tenant_memberships.permissions else excluded.permissions end,
         is_active = true,
         role_managed_by = case when user_tenant_memberships.is_active then user_tenant_memberships.role_managed_by else 'tenant' end`,
      [session.userId, row.tenant_id, row.role, now],
    );
    await tx.execute(`update tenant_invitations set accepted_at = ?, accepted_by_id = ? where id = ?`, [now, session.userId, row.id]);
    // An active member accepting changes nothing of the membership: no member event.
    if (!existing?.is_active) {
      await audit(tx, {
        action: existing ? 'member.reactivated' : 'member.added',
        tenantId: row.tenant_id,
        actor: { kind: 'user', userId: session.userId },
        target: { kind: 'user', id: session.userId, label: row.email },
        details: { role: row.role, invitation: row.id },
      });
    }
    return row.tenant_id;
  });
  await dropTenantContexts(deps.tenantCache, tenantId, [session.userId]);
  return switchTenant(deps, session, tenantId);
}

/** Declines: the invitation is answered, and its link says so. */
export async function declineInvitation(deps: InvitationDeps, userId: string, token: string): Promise<{ declined: true }> {
  const now = deps.clock();
  await deps.em.transactional(async (tx) => {
    const row = await openInvitationFor(tx, userId, token, now);
    await tx.execute(`update tenant_invitations set declined_at = ? where id = ?`, [now, row.id]);
    await audit(tx, {
      action: 'invitation.declined',
      tenantId: row.tenant_id,
      actor: { kind: 'user', userId },
      target: { kind: 'invitation', id: row.id, label: row.email },
    });
  });
  return { declined: true };
}

/** Answered, revoked and expired invitations are kept this long (their links say what became of them), then deleted by the clean-up. */
export const INVITATION_KEPT_MS = 30 * 86_400_000;

/** The clean-up's job: deletes up to `limit` invitations over with for INVITATION_KEPT_MS; answers how many. */
export async function deleteOldInvitations(tx: EntityManager, now: Date, limit: number): Promise<number> {
  const before = new Date(now.getTime() - INVITATION_KEPT_MS);
  const rows = await tx.execute<{ id: string }[]>(
    `delete from tenant_invitations where id in (
       select id from tenant_invitations
        where greatest(coalesce(accepted_at, '-infinity'), coalesce(declined_at, '-infinity'), coalesce(revoked_at, '-infinity'), expires_at) <= ?
        limit ? for update skip locked)
     returning id`,
    [before, limit],
  );
  return rows.length;
}
