import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVITATIONS_PER_TENANT, type Invitation, type InvitationLink, type InvitationView, type TenantContext, type TenantMember } from '@mreg/shared';
import { DEMO_TENANTS, guestUser } from '../../identity/demo-directory';
import { manualClock } from '../../lib/clock';
import { hashToken } from '../../lib/tokens';
import { CookieClient } from '../../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';

/**
 * Invitations through the real app (issue 22): ada invites people to Contoso; they sign in through
 * the development provider (kim@northwind.test, whom no directory knows) and accept or decline.
 * Expired, revoked, reused, replaced and wrong-person links are refused with the reason code the app
 * words them from (shared/src/errors.ts), and nothing changes.
 */

const [CONTOSO] = DEMO_TENANTS;
const clock = manualClock();
let app: TestApp;
let ada: CookieClient;

function data<T>(answer: TrpcAnswer): T {
  if (!answer.body.result) throw new Error(`expected a result, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result.data as T;
}
const codeOf = (answer: TrpcAnswer) => answer.body.error?.data.code;
/** The tRPC code and the reason code of a refusal, together. */
const refusalOf = (answer: TrpcAnswer) => ({ code: answer.body.error?.data.code, reason: answer.body.error?.data.reason });
const tokenOf = (link: string) => new URL(link).pathname.split('/').pop()!;

async function invite(email: string, role = 'member', expiresInDays?: number): Promise<InvitationLink> {
  return data<InvitationLink>(await trpcMutation(ada, app.url, 'tenants.invite', { email, role, ...(expiresInDays ? { expiresInDays } : {}) }));
}
const members = async () => data<TenantMember[]>(await trpcQuery(ada, app.url, 'tenants.members'));

beforeAll(async () => {
  app = await startTestApp({ clock });
  ({ client: ada } = await signInAs(app.url, 'ada@contoso.test'));
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe(`invitations (${databaseMode})`, () => {
  it('lets ada invite someone new, who signs in, accepts, joins Contoso and is switched to it', async () => {
    const made = await invite('  Kim@Northwind.TEST ');
    expect(made.invitation).toMatchObject({ email: 'kim@northwind.test', role: 'member', invitedBy: 'Ada Lovelace', expired: false });
    expect(made.link).toMatch(new RegExp(`^${app.url}/invitations/[A-Za-z0-9_-]{43}$`));
    // Only the hash is kept.
    const stored = await app.db.orm.em.fork().execute(`select 1 from tenant_invitations where token_hash = ?`, [hashToken(tokenOf(made.link))]);
    expect(stored).toHaveLength(1);
    expect(data<Invitation[]>(await trpcQuery(ada, app.url, 'tenants.invitations')).map((i) => i.email)).toContain('kim@northwind.test');

    // kim, whom no directory knows, signs in through the development provider: a new person in Northwind.
    const { client: kim } = await signInAs(app.url, 'kim@northwind.test');
    const home = data<{ tenantContext: TenantContext; user: { email: string } }>(await trpcQuery(kim, app.url, 'auth.user'));
    expect(home.tenantContext).toMatchObject({ tenantName: 'Northwind', role: 'member' });
    const view = data<InvitationView>(await trpcQuery(kim, app.url, 'auth.invitation', { token: tokenOf(made.link) }));
    expect(view).toMatchObject({ tenantName: 'Contoso', role: 'member', invitedBy: 'Ada Lovelace', status: 'pending', forYou: true });

    const joined = data<TenantContext>(await trpcMutation(kim, app.url, 'auth.acceptInvitation', { token: tokenOf(made.link) }));
    expect(joined).toMatchObject({ tenantId: CONTOSO.id, role: 'member' });
    // The session now works in Contoso.
    expect(data<{ tenantContext: TenantContext }>(await trpcQuery(kim, app.url, 'auth.user')).tenantContext.tenantId).toBe(CONTOSO.id);
    expect((await members()).find((m) => m.email === 'kim@northwind.test')).toMatchObject({ role: 'member', isActive: true });
    // Answered: gone from the pending list, and the link says it was used.
    expect(data<Invitation[]>(await trpcQuery(ada, app.url, 'tenants.invitations')).map((i) => i.email)).not.toContain('kim@northwind.test');
    expect(data<InvitationView>(await trpcQuery(kim, app.url, 'auth.invitation', { token: tokenOf(made.link) })).status).toBe('accepted');
    const again = await trpcMutation(kim, app.url, 'auth.acceptInvitation', { token: tokenOf(made.link) });
    expect(refusalOf(again)).toEqual({ code: 'CONFLICT', reason: 'invitation_used' });
    expect(again.body.error?.message).toContain('works only once');
    // The join is in Contoso's audit log once, by kim herself; the refused second try is not. Before
    // it, her first sign-in made her a member of her home tenant, by MREG itself.
    const joins = await app.db.orm.em
      .fork()
      .execute(`select tenant_id, actor_kind, target_label, details->>'role' as role from audit_events where action = 'member.added' and target_label = ? order by id`, [
        'kim@northwind.test',
      ]);
    expect(joins).toEqual([
      { tenant_id: guestUser('kim@northwind.test')!.tid, actor_kind: 'system', target_label: 'kim@northwind.test', role: 'member' },
      { tenant_id: CONTOSO.id, actor_kind: 'user', target_label: 'kim@northwind.test', role: 'member' },
    ]);
  });

  it('works only for the person whose email it names', async () => {
    const made = await invite('lee@northwind.test', 'viewer');
    const { client: uma } = await signInAs(app.url, 'uma@contoso.test');
    const view = data<InvitationView>(await trpcQuery(uma, app.url, 'auth.invitation', { token: tokenOf(made.link) }));
    expect(view).toMatchObject({ forYou: false, yourEmail: 'uma@contoso.test', email: 'lee@northwind.test' });
    const refused = await trpcMutation(uma, app.url, 'auth.acceptInvitation', { token: tokenOf(made.link) });
    expect(refusalOf(refused)).toEqual({ code: 'FORBIDDEN', reason: 'invitation_wrong_person' });
    expect(refused.body.error?.message).toContain('This invitation is for lee@northwind.test, and you are signed in as uma@contoso.test');
    expect(refusalOf(await trpcMutation(uma, app.url, 'auth.declineInvitation', { token: tokenOf(made.link) }))).toEqual({
      code: 'FORBIDDEN',
      reason: 'invitation_wrong_person',
    });
    // Still open for lee.
    const { client: lee } = await signInAs(app.url, 'LEE@northwind.test');
    expect(data<InvitationView>(await trpcQuery(lee, app.url, 'auth.invitation', { token: tokenOf(made.link) }))).toMatchObject({ status: 'pending', forYou: true });
    expect(data(await trpcMutation(lee, app.url, 'auth.declineInvitation', { token: tokenOf(made.link) }))).toEqual({ declined: true });
    expect(data<InvitationView>(await trpcQuery(lee, app.url, 'auth.invitation', { token: tokenOf(made.link) })).status).toBe('declined');
    // Declined is answered, as accepted is: the same reason.
    expect(refusalOf(await trpcMutation(lee, app.url, 'auth.acceptInvitation', { token: tokenOf(made.link) }))).toEqual({ code: 'CONFLICT', reason: 'invitation_used' });
    expect((await members()).some((m) => m.email === 'lee@northwind.test')).toBe(false);
  });

  it('refuses expired, revoked and replaced links, and a new link renews an expired invitation', async () => {
    let { client: max } = await signInAs(app.url, 'max@northwind.test');
    const first = await invite('max@northwind.test', 'member', 1);
    // A new link replaces the first: the old one is no link at all.
    const renewed = data<InvitationLink>(await trpcMutation(ada, app.url, 'tenants.renewInvitation', { id: first.invitation.id }));
    expect(renewed.link).not.toBe(first.link);
    const replaced = { code: 'NOT_FOUND', reason: 'invitation_not_found' };
    expect(refusalOf(await trpcQuery(max, app.url, 'auth.invitation', { token: tokenOf(first.link) }))).toEqual(replaced);
    expect(refusalOf(await trpcMutation(max, app.url, 'auth.acceptInvitation', { token: tokenOf(first.link) }))).toEqual(replaced);
    expect(refusalOf(await trpcMutation(max, app.url, 'auth.declineInvitation', { token: tokenOf(first.link) }))).toEqual(replaced);
    // Expired: a day and a minute later (past the sessions' 24 hours too: both sign in again).
    clock.advance(86_400_000 + 60_000);
    ({ client: ada } = await signInAs(app.url, 'ada@contoso.test'));
    ({ client: max } = await signInAs(app.url, 'max@northwind.test'));
    expect(data<InvitationView>(await trpcQuery(max, app.url, 'auth.invitation', { token: tokenOf(renewed.link) })).status).toBe('expired');
    const late = await trpcMutation(max, app.url, 'auth.acceptInvitation', { token: tokenOf(renewed.link) });
    expect(refusalOf(late)).toEqual({ code: 'CONFLICT', reason: 'invitation_expired' });
    expect(late.body.error?.message).toContain('expired');
    expect(data<Invitation[]>(await trpcQuery(ada, app.url, 'tenants.invitations')).find((i) => i.id === first.invitation.id)?.expired).toBe(true);
    // Renewed for as long again (a day), it works.
    const third = data<InvitationLink>(await trpcMutation(ada, app.url, 'tenants.renewInvitation', { id: first.invitation.id }));
    expect(new Date(third.invitation.expiresAt).getTime() - new Date(third.invitation.createdAt).getTime()).toBe(86_400_000);
    // Revoked: the link says so, and nothing is joined.
    expect(data(await trpcMutation(ada, app.url, 'tenants.revokeInvitation', { id: first.invitation.id }))).toEqual({ revoked: true });
    expect(data<InvitationView>(await trpcQuery(max, app.url, 'auth.invitation', { token: tokenOf(third.link) })).status).toBe('revoked');
    expect(refusalOf(await trpcMutation(max, app.url, 'auth.acceptInvitation', { token: tokenOf(third.link) }))).toEqual({
      code: 'CONFLICT',
      reason: 'invitation_revoked',
    });
    expect(refusalOf(await trpcMutation(max, app.url, 'auth.declineInvitation', { token: tokenOf(third.link) }))).toEqual({
      code: 'CONFLICT',
      reason: 'invitation_revoked',
    });
    expect(codeOf(await trpcMutation(ada, app.url, 'tenants.revokeInvitation', { id: first.invitation.id }))).toBe('NOT_FOUND');
    expect((await members()).some((m) => m.email === 'max@northwind.test')).toBe(false);

    // Kept 30 days for its link to say what became of it, then cleaned up.
    expect((await app.cleanup.runNow())?.invitations).toBe(0);
    clock.advance(31 * 86_400_000);
    expect((await app.cleanup.runNow())?.invitations).toBeGreaterThanOrEqual(1);
    const [left] = await app.db.orm.em.fork().execute<{ count: string }[]>(`select count(*) from tenant_invitations where id = ?`, [first.invitation.id]);
    expect(Number(left!.count)).toBe(0);
    // Everyone signs in again after the month: the next tests need live sessions.
    ({ client: ada } = await signInAs(app.url, 'ada@contoso.test'));
  });

  it('records each invitation sent, renewed, revoked and declined in the audit log, once, with who and for whom; refusals record none', async () => {
    const em = app.db.orm.em.fork();
    const events = async (id: string) =>
      em.execute<{ action: string; tenant_id: string; actor_kind: string; actor_user_id: string; target_kind: string; target_label: string; details: Record<string, unknown> }[]>(
        `select action, tenant_id, actor_kind, actor_user_id, target_kind, target_label, details from audit_events where target_id = ? order by at, id`,
        [id],
      );
    const adaId = data<{ user: { id: string } }>(await trpcQuery(ada, app.url, 'auth.user')).user.id;
    const made = await invite('max.audit@northwind.test', 'viewer');
    const renewed = data<InvitationLink>(await trpcMutation(ada, app.url, 'tenants.renewInvitation', { id: made.invitation.id }));
    // Refused: an open invitation for the same email; nothing recorded.
    expect(refusalOf(await trpcMutation(ada, app.url, 'tenants.invite', { email: 'max.audit@northwind.test', role: 'viewer' }))).toEqual({ code: 'CONFLICT', reason: 'already_invited' });
    expect(data(await trpcMutation(ada, app.url, 'tenants.revokeInvitation', { id: made.invitation.id }))).toEqual({ revoked: true });
    expect(codeOf(await trpcMutation(ada, app.url, 'tenants.revokeInvitation', { id: made.invitation.id }))).toBe('NOT_FOUND');
    const byAda = { tenant_id: CONTOSO.id, actor_kind: 'user', actor_user_id: adaId, target_kind: 'invitation', target_label: 'max.audit@northwind.test' };
    expect(await events(made.invitation.id)).toEqual([
      { action: 'invitation.created', ...byAda, details: { role: 'viewer', expiresInDays: 7 } },
      { action: 'invitation.renewed', ...byAda, details: {} },
      { action: 'invitation.revoked', ...byAda, details: {} },
    ]);
    expect(renewed.invitation.id).toBe(made.invitation.id);

    const declined = await invite('nia.audit@northwind.test');
    const { client: nia } = await signInAs(app.url, 'nia.audit@northwind.test');
    const niaId = data<{ user: { id: string } }>(await trpcQuery(nia, app.url, 'auth.user')).user.id;
    expect(data(await trpcMutation(nia, app.url, 'auth.declineInvitation', { token: tokenOf(declined.link) }))).toEqual({ declined: true });
    expect((await events(declined.invitation.id)).map((e) => [e.action, e.actor_user_id])).toEqual([
      ['invitation.created', adaId],
      ['invitation.declined', niaId],
    ]);
  });

  it('refuses bad input and who may not invite, with the field or the reason named', async () => {
    const bad = await trpcMutation(ada, app.url, 'tenants.invite', { email: 'not an email', role: 'member' });
    expect(codeOf(bad)).toBe('BAD_REQUEST');
    expect(bad.body.error?.data.fieldErrors).toHaveProperty('email');
    expect(codeOf(await trpcMutation(ada, app.url, 'tenants.invite', { email: 'a@b.test', role: 'owner' }))).toBe('BAD_REQUEST');
    expect(codeOf(await trpcMutation(ada, app.url, 'tenants.invite', { email: 'a@b.test', role: 'member', expiresInDays: 31 }))).toBe('BAD_REQUEST');
    const member = await trpcMutation(ada, app.url, 'tenants.invite', { email: 'uma@contoso.test', role: 'member' });
    expect(codeOf(member)).toBe('CONFLICT');
    expect(member.body.error?.data.reason).toBe('already_member');
    // uma is a member, not an admin: she may not invite.
    const { client: uma } = await signInAs(app.url, 'uma@contoso.test');
    expect(codeOf(await trpcMutation(uma, app.url, 'tenants.invite', { email: 'x@northwind.test', role: 'member' }))).toBe('FORBIDDEN');
    // A malformed token is a bad request; signed out, nobody sees an invitation.
    expect(codeOf(await trpcQuery(uma, app.url, 'auth.invitation', { token: 'short' }))).toBe('BAD_REQUEST');
    const made = await invite('zoe@northwind.test');
    expect(codeOf(await trpcQuery(new CookieClient(), app.url, 'auth.invitation', { token: tokenOf(made.link) }))).toBe('UNAUTHORIZED');
  });

  it('refuses to invite an email with an open invitation (already_invited) and leaves its link working; an expired one is replaced', async () => {
    const made = await invite('ray@northwind.test', 'member', 1);
    const { client: ray } = await signInAs(app.url, 'ray@northwind.test');
    // Written differently, the same address: refused, and the open invitation keeps its role and link.
    const again = await trpcMutation(ada, app.url, 'tenants.invite', { email: ' RAY@northwind.test', role: 'viewer' });
    expect(refusalOf(again)).toEqual({ code: 'CONFLICT', reason: 'already_invited' });
    expect(again.body.error?.message).toBe('ray@northwind.test has an open invitation to Contoso already; resend it for a new link, or revoke it first');
    expect(data<InvitationView>(await trpcQuery(ray, app.url, 'auth.invitation', { token: tokenOf(made.link) }))).toMatchObject({ status: 'pending', role: 'member' });
    const rows = () => app.db.orm.em.fork().execute<{ id: string; role: string }[]>(`select id, role from tenant_invitations where email = 'ray@northwind.test'`);
    expect(await rows()).toEqual([{ id: made.invitation.id, role: 'member' }]);

    // Past its day, inviting again replaces it: the same invitation, the new role, a new link; the old one is no link at all.
    clock.advance(86_400_000 + 60_000);
    ({ client: ada } = await signInAs(app.url, 'ada@contoso.test'));
    const renewed = await invite('ray@northwind.test', 'viewer');
    expect(renewed.invitation).toMatchObject({ id: made.invitation.id, role: 'viewer', expired: false });
    expect(renewed.link).not.toBe(made.link);
    expect(await rows()).toEqual([{ id: made.invitation.id, role: 'viewer' }]);
    const { client: rayAgain } = await signInAs(app.url, 'ray@northwind.test');
    expect(refusalOf(await trpcQuery(rayAgain, app.url, 'auth.invitation', { token: tokenOf(made.link) }))).toEqual({ code: 'NOT_FOUND', reason: 'invitation_not_found' });
    expect(data(await trpcMutation(ada, app.url, 'tenants.revokeInvitation', { id: made.invitation.id }))).toEqual({ revoked: true });
  });

  it('refuses a new invitation once the tenant has as many open ones as it may (too_many_invitations)', async () => {
    const fork = app.db.orm.em.fork();
    const now = clock();
    // Made behind the app's back: INVITATIONS_PER_TENANT open invitations, less those already open.
    const [open] = await fork.execute<{ count: string }[]>(
      `select count(*) from tenant_invitations where tenant_id = ? and accepted_at is null and declined_at is null and revoked_at is null and expires_at > ?`,
      [CONTOSO.id, now],
    );
    await fork.execute(
      `insert into tenant_invitations (tenant_id, email, role, token_hash, created_at, expires_at)
       select ?, 'bulk' || g || '@northwind.test', 'viewer', encode(sha256(('bulk' || g)::bytea), 'hex'), ?, ?
         from generate_series(1, ? - ?::int) g`,
      [CONTOSO.id, now, new Date(now.getTime() + 86_400_000), INVITATIONS_PER_TENANT, Number(open!.count)],
    );
    const refused = await trpcMutation(ada, app.url, 'tenants.invite', { email: 'one.more@northwind.test', role: 'viewer' });
    expect(refusalOf(refused)).toEqual({ code: 'CONFLICT', reason: 'too_many_invitations' });
    await fork.execute(`delete from tenant_invitations where email like 'bulk%@northwind.test'`);
    expect((await invite('one.more@northwind.test', 'viewer')).invitation.email).toBe('one.more@northwind.test');
  });
});
