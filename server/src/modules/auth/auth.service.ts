import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthUser, PreferencesByCategory } from '@mreg/shared';
import { UserPreference } from '../preferences/preferences.entity';
import { sessionInfo, type ActiveSession, type SessionLifetime } from '../sessions/sessions.service';
import { UserProfile } from '../users/users.entity';

/** The person's profile, created empty on first read (concurrent first reads create one). */
async function loadOrCreateProfile(em: EntityManager, userId: string) {
  await em.createQueryBuilder(UserProfile).insert({ user: userId, preferences: {}, metadata: {} }).onConflict('user').ignore();
  return em.findOneOrFail(UserProfile, { user: userId });
}

async function loadPreferences(em: EntityManager, userId: string): Promise<PreferencesByCategory> {
  const rows = await em.find(UserPreference, { user: userId }, { orderBy: { category: 'asc', key: 'asc' } });
  const byCategory: PreferencesByCategory = {};
  for (const row of rows) (byCategory[row.category] ??= {})[row.key] = row.value;
  return byCategory;
}

/** `auth.user`: who is signed in, with profile, preferences, active tenant and session. */
export async function loadAuthUser(em: EntityManager, session: ActiveSession, lifetime: SessionLifetime): Promise<AuthUser> {
  // One after the other: a request's EntityManager runs one query at a time (and PGlite has one connection).
  const profile = await loadOrCreateProfile(em, session.userId);
  const preferences = await loadPreferences(em, session.userId);
  return {
    user: session.user,
    profile: {
      id: profile.id,
      displayName: profile.displayName ?? null,
      avatarUrl: profile.avatarUrl ?? null,
      bio: profile.bio ?? null,
      createdAt: profile.createdAt.toISOString(),
      updatedAt: profile.updatedAt.toISOString(),
    },
    preferences,
    tenantContext: session.tenantContext,
    permissions: session.permissions,
    sessionInfo: sessionInfo(session, lifetime),
  };
}
