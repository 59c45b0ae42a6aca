import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { jsonBytes, PROFILE_PREFERENCES_MAX_BYTES, type JsonObject, type Profile, type ProfileChanges } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { invalidate, markerTtlSeconds, readThrough } from '../../cache/read-through';
import type { Settings } from '../../config';
import { AppError } from '../../errors';
import type { Clock } from '../../lib/clock';
import { refreshUserSessions, sessionDeps, type SessionDeps } from '../sessions/sessions.store';
import { UserProfile, type IUserProfile } from '../users/users.entity';

// Profiles, read through the cache under `profile:<userId>` with stale markers
// (cache/read-through.ts): every profile or avatar write invalidates the key, and a reader that
// loaded before a write cannot put the old profile back.

export interface ProfileDeps {
  em: EntityManager;
  cache: Cache;
  /** MREG_FASTMCP_PROFILE_CACHE_TTL; 0 reads the database every time. */
  ttlSeconds: number;
  /** Sessions carry displayName and avatarUrl: each write makes them rebuild. */
  sessions: SessionDeps;
}

export function profileDeps(ctx: { em: EntityManager; cache: Cache; clock: Clock; settings: Settings }): ProfileDeps {
  return { em: ctx.em, cache: ctx.cache, ttlSeconds: ctx.settings.fastmcp.profileCacheTtlSeconds, sessions: sessionDeps(ctx) };
}

const profileKey = (userId: string) => `profile:${userId}`;

/** Where the person's profile is cached, or undefined when profiles are not cached. */
export const cachedProfileKey = (deps: Pick<ProfileDeps, 'ttlSeconds'>, userId: string): string | undefined =>
  deps.ttlSeconds > 0 ? profileKey(userId) : undefined;

export function toProfile(row: IUserProfile): Profile {
  return {
    id: row.id,
    displayName: row.displayName ?? null,
    avatarUrl: row.avatarUrl ?? null,
    bio: row.bio ?? null,
    preferences: row.preferences ?? {},
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Creates the person's empty profile if there is none (concurrent callers create one). */
export async function ensureProfile(em: EntityManager, userId: string): Promise<void> {
  await em.createQueryBuilder(UserProfile).insert({ user: userId, preferences: {}, metadata: {} }).onConflict('user').ignore();
}

async function loadProfile(em: EntityManager, userId: string): Promise<Profile> {
  await ensureProfile(em, userId);
  return toProfile(await em.findOneOrFail(UserProfile, { user: userId }));
}

/**
 * The person's profile (created empty on first read), from the cache when it has it. `prefetched` is
 * what `cachedProfileKey` held, read by the caller in a round trip of its own.
 */
export async function readProfile(deps: ProfileDeps, userId: string, prefetched?: { value: unknown }): Promise<Profile> {
  if (deps.ttlSeconds <= 0) return loadProfile(deps.em, userId);
  return readThrough(deps.cache, profileKey(userId), deps.ttlSeconds, () => loadProfile(deps.em, userId), prefetched);
}

/**
 * After a committed profile or avatar write: every instance's next read goes to the database, and
 * every session of the person rebuilds its summary (displayName, avatarUrl). The marker is written
 * even when this instance does not cache profiles, since others may.
 */
export async function profileChanged(deps: ProfileDeps, userId: string): Promise<void> {
  await invalidate(deps.cache, [profileKey(userId)], markerTtlSeconds(deps.ttlSeconds));
  await refreshUserSessions(deps.sessions, userId);
}

/** Top-level merge (see ZProfilePreferencesPatch): given keys replace, null removes, others stay. */
export function mergePreferences(stored: Record<string, unknown>, patch: JsonObject): Record<string, unknown> {
  // fromEntries defines properties, so a "__proto__" key stays a key and never becomes a prototype.
  return Object.fromEntries([
    ...Object.entries(stored).filter(([key]) => !Object.hasOwn(patch, key)),
    ...Object.entries(patch).filter(([, value]) => value !== null),
  ]);
}

/**
 * `auth.updateProfile`: applies the parsed changes under a row lock (so that two merges of
 * preferences cannot lose one another), in one transaction, and answers the profile as stored.
 */
export async function updateProfile(deps: ProfileDeps, userId: string, changes: ProfileChanges): Promise<Profile> {
  const profile = await deps.em.transactional(async (tx) => {
    await ensureProfile(tx, userId);
    const row = await tx.findOneOrFail(UserProfile, { user: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (changes.displayName !== undefined) row.displayName = changes.displayName;
    if (changes.bio !== undefined) row.bio = changes.bio;
    if (changes.preferences !== undefined) {
      const merged = mergePreferences(row.preferences, changes.preferences);
      const bytes = jsonBytes(merged);
      if (bytes > PROFILE_PREFERENCES_MAX_BYTES) {
        throw new AppError(
          'BAD_REQUEST',
          `preferences: merged with the stored ones they would be ${bytes} bytes as JSON; the limit is ${PROFILE_PREFERENCES_MAX_BYTES} (remove keys by sending them as null)`,
        );
      }
      row.preferences = merged;
    }
    await tx.flush();
    return toProfile(row);
  });
  await profileChanged(deps, userId);
  return profile;
}
