import { ZMembershipList, ZNoInput, ZSwitchTenantInput, ZTenantContext } from '@mreg/shared';
import { authedProcedure, requireFeature } from '../../trpc/trpc';
import { cookieLifetimeMs } from '../sessions/sessions.lifetime';
import { sessionDeps } from '../sessions/sessions.store';
import { listMyTenants, switchTenant } from './tenants.service';

/** My memberships and the active tenant: off with MREG_FASTMCP_TENANT_SWITCHING_ENABLED=false. */
const switchingProcedure = authedProcedure.use(requireFeature('tenantSwitching'));

/** `auth.tenants` and `auth.switchTenant`. */
export const myTenantProcedures = {
  tenants: switchingProcedure
    .input(ZNoInput)
    .output(ZMembershipList)
    .query(({ ctx }) => listMyTenants(ctx.em, ctx.session)),

  switchTenant: switchingProcedure
    .input(ZSwitchTenantInput)
    .output(ZTenantContext)
    .mutation(async ({ ctx, input }) => {
      const { token, tenantContext } = await switchTenant(sessionDeps(ctx), ctx.session, input.tenantId);
      ctx.sessionCookie.set(token, cookieLifetimeMs(ctx.session, ctx.settings.sessionLifetime, ctx.clock()));
      return tenantContext;
    }),
};
