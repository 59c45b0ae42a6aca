import { ZCategoryPreferences, ZGetPreferencesInput, ZUpdatePreferencesInput } from '@mreg/shared';
import { authedProcedure, requireFeature } from '../../trpc/trpc';
import { preferencesStoreFor } from './preferences.store';

/** Preferences belong to profiles: off with MREG_FASTMCP_USER_PROFILES_ENABLED=false. */
const preferencesProcedure = authedProcedure.use(requireFeature('userProfiles'));

/** `auth.preferences` and `auth.updatePreferences`, spread into the auth router. */
export const preferenceProcedures = {
  preferences: preferencesProcedure
    .input(ZGetPreferencesInput)
    .output(ZCategoryPreferences)
    .query(({ ctx, input }) => preferencesStoreFor(ctx).readCategory(ctx.session.userId, input.category)),

  updatePreferences: preferencesProcedure
    .input(ZUpdatePreferencesInput)
    .output(ZCategoryPreferences)
    .mutation(({ ctx, input }) => preferencesStoreFor(ctx).write(ctx.session.userId, input.category, input.preferences)),
};
