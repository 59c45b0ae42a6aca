import { ZAuthUser, ZNoInput, ZOAuthGrantList, ZRevokeGrantInput, ZRevokeGrantResult } from '@mreg/shared';
import { authedProcedure, router } from '../../trpc/trpc';
import { preferenceProcedures } from '../preferences/preferences.procedures';
import { preferencesStoreFor } from '../preferences/preferences.store';
import { profileProcedures } from '../profiles/profiles.procedures';
import { profileDeps } from '../profiles/profiles.service';
import { sessionProcedures } from '../sessions/sessions.procedures';
import { myTenantProcedures } from '../tenants/my-tenants.procedures';
import { myInvitationProcedures } from '../invitations/invitations.procedures';
import { grantDeps, listMyGrants, revokeMyGrant } from '../oauth/oauth.grants';
import { loadAuthUser } from './auth.service';

/** `auth.*`: who I am, and the procedures of each domain that act on my own account. */
export const authRouter = router({
  user: authedProcedure
    .input(ZNoInput)
    .output(ZAuthUser)
    .query(({ ctx }) => loadAuthUser(ctx.session, ctx.settings.sessionLifetime, profileDeps(ctx), preferencesStoreFor(ctx))),

  ...profileProcedures,
  ...preferenceProcedures,
  ...sessionProcedures,
  ...myTenantProcedures,
  ...myInvitationProcedures,

  /** My connected MCP clients (OAuth grants), in every tenant. */
  grants: authedProcedure
    .input(ZNoInput)
    .output(ZOAuthGrantList)
    .query(({ ctx }) => listMyGrants(grantDeps(ctx), ctx.session.userId)),

  revokeGrant: authedProcedure
    .input(ZRevokeGrantInput)
    .output(ZRevokeGrantResult)
    .mutation(({ ctx, input }) => revokeMyGrant(grantDeps(ctx), ctx.session.userId, input.grantId)),
});
