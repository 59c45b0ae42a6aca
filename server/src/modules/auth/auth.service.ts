import type { AuthUser } from '@mreg/shared';
import type { PreferencesStore } from '../preferences/preferences.store';
import { cachedProfileKey, readProfile, type ProfileDeps } from '../profiles/profiles.service';
import { sessionInfo, type ActiveSession } from '../sessions/sessions.store';
import type { SessionLifetime } from '../sessions/sessions.lifetime';

/** `auth.user`: who is signed in, with profile, preferences, active tenant and session. */
export async function loadAuthUser(
  session: ActiveSession,
  lifetime: SessionLifetime,
  profiles: ProfileDeps,
  preferenceStore: PreferencesStore,
): Promise<AuthUser> {
  // The cached profile and preferences in one round trip; what is not cached is read from the
  // database one after the other (a request's EntityManager runs one query at a time, and PGlite
  // has one connection).
  const keys = [cachedProfileKey(profiles, session.userId), preferenceStore.cachedAllKey(session.userId)];
  const wanted = keys.filter((key) => key !== undefined);
  const values = wanted.length > 0 ? await profiles.cache.getMany(wanted) : [];
  const prefetched = (key: string | undefined) => (key === undefined ? undefined : { value: values[wanted.indexOf(key)] });
  const profile = await readProfile(profiles, session.userId, prefetched(keys[0]));
  const preferences = await preferenceStore.readAll(session.userId, prefetched(keys[1]));
  return {
    user: session.user,
    profile,
    preferences,
    tenantContext: session.tenantContext,
    permissions: session.permissions,
    sessionInfo: sessionInfo(session, lifetime),
  };
}
