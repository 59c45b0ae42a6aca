import { ZProfile, ZUpdateProfileInput } from '@mreg/shared';
import { authedProcedure, requireFeature } from '../../trpc/trpc';
import { profileDeps, updateProfile } from './profiles.service';

/** Off (PRECONDITION_FAILED, naming the variable) with MREG_FASTMCP_USER_PROFILES_ENABLED=false. */
const profilesProcedure = authedProcedure.use(requireFeature('userProfiles'));

/** Spread into the auth router: `auth.updateProfile`. */
export const profileProcedures = {
  updateProfile: profilesProcedure
    .input(ZUpdateProfileInput)
    .output(ZProfile)
    .mutation(({ ctx, input }) => updateProfile(profileDeps(ctx), ctx.session.userId, input)),
};
