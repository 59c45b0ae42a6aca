import type { AuthUser } from '@mreg/shared';
import type { PreferencesStore } from '../preferences/preferences.store';
import { readProfile, type ProfileDeps } from '../profiles/profiles.service';
import { sessionInfo, type ActiveSession, type SessionLifetime } from '../sessions/sessions.service';

/** `auth.user`: who is signed in, with profile, preferences, active tenant and session. */
export async function loadAuthUser(
  session: ActiveSession,
  lifetime: SessionLifetime,
  profiles: ProfileDeps,
  preferenceStore: PreferencesStore,
): Promise<AuthUser> {
  // One after the other: a request's EntityManager runs one query at a time (and PGlite has one connection).
  const profile = await readProfile(profiles, session.userId);
  const preferences = await preferenceStore.readAll(session.userId);
  return {
    user: session.user,
    profile,
    preferences,
    tenantContext: session.tenantContext,
    permissions: session.permissions,
    sessionInfo: sessionInfo(session, lifetime),
  };
}
