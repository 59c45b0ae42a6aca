import {
  ZAddMemberInput,
  ZDirectory,
  ZListMemberSessionsInput,
  ZNoInput,
  ZRemoveMemberInput,
  ZRemoveMemberResult,
  ZRevokeMemberSessionsInput,
  ZRevokeOtherSessionsResult,
  ZSessionList,
  ZTenantMember,
  ZTenantMemberList,
  ZUpdateMemberInput,
  ZMemberGrantsInput,
  ZOAuthGrantList,
  ZRevokeGrantResult,
  ZRevokeMemberGrantInput,
} from '@mreg/shared';
import { browserSessionOnly, requireFeature, requirePermission, router, tenantProcedure } from '../../trpc/trpc';
import { forgetRevokedKeys } from '../apikeys/apikeys.service';
import { sessionDeps } from '../sessions/sessions.store';
import { invitationAdminProcedures } from '../invitations/invitations.procedures';
import { grantDeps, listMemberGrants, revokeMemberGrant } from '../oauth/oauth.grants';
import { forgetRevokedTokens } from '../oauth/oauth.tokens';
import { listDirectory } from './directory.service';
import { addMember, administeredMember, listMembers, memberSessions, removeMember, revokeMemberSessions, updateMember } from './tenants.service';

/**
 * Tenant administration: the active tenant only, with members:manage there (and sessions:manage
 * for members' sessions); off with MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false. From the browser
 * session only: a leaked admin's API key must not be able to make someone else an admin.
 */
const adminProcedure = tenantProcedure.use(browserSessionOnly).use(requireFeature('roleBasedUi')).use(requirePermission('members:manage'));
/** Seeing and ending other people's sessions needs sessions:manage as well. */
const sessionAdminProcedure = adminProcedure.use(requirePermission('sessions:manage'));

/**
 * Who is in the tenant, for every member (members:read): names, pictures and roles, no more. From
 * the browser session, as the rest of this router: people, not scripts, need to know whom to ask.
 */
const directoryProcedure = tenantProcedure.use(browserSessionOnly).use(requireFeature('roleBasedUi')).use(requirePermission('members:read'));

export const tenantsRouter = router({
  ...invitationAdminProcedures,

  directory: directoryProcedure
    .input(ZNoInput)
    .output(ZDirectory)
    .query(({ ctx }) => listDirectory(ctx.em, ctx.tenant)),

  members: adminProcedure
    .input(ZNoInput)
    .output(ZTenantMemberList)
    .query(({ ctx }) => listMembers(ctx.em, ctx.tenant)),

  addMember: adminProcedure
    .input(ZAddMemberInput)
    .output(ZTenantMember)
    .mutation(({ ctx, input }) => addMember(sessionDeps(ctx), ctx.tenant, ctx.actor.userId, input)),

  updateMember: adminProcedure
    .input(ZUpdateMemberInput)
    .output(ZTenantMember)
    .mutation(async ({ ctx, input }) => {
      const { revokedKeyHashes, revokedTokenHashes, ...member } = await updateMember(sessionDeps(ctx), ctx.tenant, ctx.actor.userId, input);
      await forgetRevokedKeys(ctx.cache, revokedKeyHashes);
      await forgetRevokedTokens(ctx.cache, revokedTokenHashes);
      // Deactivating oneself ends one's own session here too.
      if (member.userId === ctx.actor.userId && !member.isActive) ctx.sessionCookie.clear();
      return member;
    }),

  removeMember: adminProcedure
    .input(ZRemoveMemberInput)
    .output(ZRemoveMemberResult)
    .mutation(async ({ ctx, input }) => {
      const { userId, sessionsEnded, endedSessionIds, revokedKeyHashes, revokedTokenHashes } = await removeMember(sessionDeps(ctx), ctx.tenant, ctx.actor.userId, input.userId);
      await forgetRevokedKeys(ctx.cache, revokedKeyHashes);
      await forgetRevokedTokens(ctx.cache, revokedTokenHashes);
      if (ctx.actor.sessionId && endedSessionIds.includes(ctx.actor.sessionId)) ctx.sessionCookie.clear();
      return { userId, sessionsEnded };
    }),

  memberSessions: sessionAdminProcedure
    .input(ZListMemberSessionsInput)
    .output(ZSessionList)
    .query(({ ctx, input }) => memberSessions(sessionDeps(ctx), ctx.tenant, ctx.actor, input.userId)),

  revokeMemberSessions: sessionAdminProcedure
    .input(ZRevokeMemberSessionsInput)
    .output(ZRevokeOtherSessionsResult)
    .mutation(async ({ ctx, input }) => {
      const ended = await revokeMemberSessions(sessionDeps(ctx), ctx.tenant, ctx.actor.userId, input.userId);
      if (ctx.actor.sessionId && ended.includes(ctx.actor.sessionId)) ctx.sessionCookie.clear();
      return { revoked: ended.length };
    }),

  /** A member's connected MCP clients in this tenant, beside their sessions. */
  memberGrants: sessionAdminProcedure
    .input(ZMemberGrantsInput)
    .output(ZOAuthGrantList)
    .query(async ({ ctx, input }) => {
      await administeredMember(ctx.em, ctx.tenant, input.userId);
      return listMemberGrants(grantDeps(ctx), ctx.tenant.tenantId, input.userId);
    }),

  revokeMemberGrant: sessionAdminProcedure
    .input(ZRevokeMemberGrantInput)
    .output(ZRevokeGrantResult)
    .mutation(async ({ ctx, input }) => {
      await administeredMember(ctx.em, ctx.tenant, input.userId);
      return revokeMemberGrant(grantDeps(ctx), ctx.actor.userId, ctx.tenant.tenantId, input.userId, input.grantId);
    }),
});
