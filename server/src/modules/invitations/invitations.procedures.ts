import {
  ZDeclineInvitationResult,
  ZInvitationIdInput,
  ZInvitationLink,
  ZInvitationList,
  ZInvitationTokenInput,
  ZInvitationView,
  ZInviteInput,
  ZNoInput,
  ZRevokeInvitationResult,
  ZTenantContext,
} from '@mreg/shared';
import { authedProcedure, browserSessionOnly, requireFeature, requirePermission, tenantProcedure } from '../../trpc/trpc';
import { cookieLifetimeMs } from '../sessions/sessions.lifetime';
import { acceptInvitation, declineInvitation, invitationDeps, invite, listInvitations, renewInvitation, revokeInvitation, viewInvitation } from './invitations.service';

/**
 * Invitations: `tenants.invitations`, `tenants.invite`, `tenants.renewInvitation` and
 * `tenants.revokeInvitation` for admins of the active tenant (members:manage, from the browser
 * session, as the rest of tenant administration); `auth.invitation`, `auth.acceptInvitation` and
 * `auth.declineInvitation` for the signed-in person who opened a link.
 */
const adminProcedure = tenantProcedure.use(browserSessionOnly).use(requireFeature('roleBasedUi')).use(requirePermission('members:manage'));

export const invitationAdminProcedures = {
  invitations: adminProcedure
    .input(ZNoInput)
    .output(ZInvitationList)
    .query(({ ctx }) => listInvitations(invitationDeps(ctx), ctx.tenant)),

  invite: adminProcedure
    .input(ZInviteInput)
    .output(ZInvitationLink)
    .mutation(({ ctx, input }) => invite(invitationDeps(ctx), ctx.tenant, ctx.actor.audit, input)),

  renewInvitation: adminProcedure
    .input(ZInvitationIdInput)
    .output(ZInvitationLink)
    .mutation(({ ctx, input }) => renewInvitation(invitationDeps(ctx), ctx.tenant, ctx.actor.audit, input.id)),

  revokeInvitation: adminProcedure
    .input(ZInvitationIdInput)
    .output(ZRevokeInvitationResult)
    .mutation(({ ctx, input }) => revokeInvitation(invitationDeps(ctx), ctx.tenant, ctx.actor.audit, input.id)),
};

export const myInvitationProcedures = {
  invitation: authedProcedure
    .input(ZInvitationTokenInput)
    .output(ZInvitationView)
    .query(({ ctx, input }) => viewInvitation(invitationDeps(ctx), ctx.session.userId, input.token)),

  acceptInvitation: authedProcedure
    .input(ZInvitationTokenInput)
    .output(ZTenantContext)
    .mutation(async ({ ctx, input }) => {
      const { token, tenantContext } = await acceptInvitation(invitationDeps(ctx), ctx.session, input.token);
      ctx.sessionCookie.set(token, cookieLifetimeMs(ctx.session, ctx.settings.sessionLifetime, ctx.clock()));
      return tenantContext;
    }),

  declineInvitation: authedProcedure
    .input(ZInvitationTokenInput)
    .output(ZDeclineInvitationResult)
    .mutation(({ ctx, input }) => declineInvitation(invitationDeps(ctx), ctx.session.userId, input.token)),
};
