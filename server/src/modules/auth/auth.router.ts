import { ZAuthUser, ZNoInput } from '@mreg/shared';
import { authedProcedure, router } from '../../trpc/trpc';
import { sessionProcedures } from '../sessions/sessions.procedures';
import { sessionLifetime } from '../sessions/sessions.service';
import { myTenantProcedures } from '../tenants/my-tenants.procedures';
import { loadAuthUser } from './auth.service';

/** `auth.*`: who I am, and the procedures of each domain that act on my own account. */
export const authRouter = router({
  user: authedProcedure
    .input(ZNoInput)
    .output(ZAuthUser)
    .query(({ ctx }) => loadAuthUser(ctx.em, ctx.session, sessionLifetime(ctx.settings.fastmcp))),

  ...sessionProcedures,
  ...myTenantProcedures,
});
