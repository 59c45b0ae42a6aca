import { ZAuthUser, ZNoInput } from '@mreg/shared';
import { authedProcedure, router } from '../../trpc/trpc';
import { preferenceProcedures } from '../preferences/preferences.procedures';
import { preferencesStoreFor } from '../preferences/preferences.store';
import { profileProcedures } from '../profiles/profiles.procedures';
import { profileDeps } from '../profiles/profiles.service';
import { sessionProcedures } from '../sessions/sessions.procedures';
import { myTenantProcedures } from '../tenants/my-tenants.procedures';
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
});
