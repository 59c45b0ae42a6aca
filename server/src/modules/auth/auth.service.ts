import type { EntityManager } from '@mikro-orm/postgresql';
import { effectivePermissions, type AuthUser, type PreferencesByCategory, type TenantContext } from '@mreg/shared';
import { AppError } from '../../errors';
import { UserPreference } from '../preferences/preferences.entity';
import type { ActiveSession } from '../sessions/sessions.service';
import { UserTenantMembership } from '../tenants/memberships.entity';
import { User, UserProfile } from '../users/users.entity';

/** The active tenant as the session's user may use it: null without an active membership. */
export async function loadTenantContext(em: EntityManager, userId: string, tenantId: string | null): Promise<TenantContext | null> {
  if (!tenantId) return null;
  const membership = await em.findOne(
    UserTenantMembership,
    { user: userId, tenant: tenantId, isActive: true },
    { populate: ['tenant'] },
  );
  if (!membership) return null;
  const permissions = effectivePermissions(membership.role, membership.permissions);
  return {
    tenantId,
    tenantName: membership.tenant.getEntity().name,
    role: membership.role,
    isAdmin: membership.role === 'admin',
    permissions,
  };
}

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
export async function loadAuthUser(em: EntityManager, session: ActiveSession): Promise<AuthUser> {
  const user = await em.findOne(User, { id: session.userId });
  if (!user) throw new AppError('UNAUTHORIZED', 'The signed-in user no longer exists');
  // One after the other: a request's EntityManager runs one query at a time (and PGlite has one connection).
  const profile = await loadOrCreateProfile(em, user.id);
  const preferences = await loadPreferences(em, user.id);
  const tenantContext = await loadTenantContext(em, user.id, session.tenantId);
  return {
    user: { id: user.id, email: user.email, name: user.name, roles: user.roles, tenantId: user.homeTenant?.id ?? null },
    profile: {
      id: profile.id,
      displayName: profile.displayName ?? null,
      avatarUrl: profile.avatarUrl ?? null,
      bio: profile.bio ?? null,
      createdAt: profile.createdAt.toISOString(),
      updatedAt: profile.updatedAt.toISOString(),
    },
    preferences,
    tenantContext,
    permissions: tenantContext?.permissions ?? [],
    sessionInfo: {
      sessionId: session.sessionId,
      expiresAt: session.expiresAt.toISOString(),
      lastActivity: session.lastActivity.toISOString(),
    },
  };
}
