import { z } from 'zod';
import { orRequired } from './messages';
import { ZPermission } from './permissions';
import { ZRole } from './roles';

/**
 * The header MREG requires on every cookie-authenticated state change, with the value `1`
 * (DESIGN.md, security model): the app's own clients send it; a cross-site page cannot without a
 * CORS preflight, which MREG never allows.
 */
export const CSRF_HEADER = 'x-mreg-csrf';

/** Longest `returnTo` accepted by /auth/login. */
export const RETURN_TO_MAX_LENGTH = 2048;

/**
 * Where /auth/login sends a person after signing in: a path on this site ("/servers?x=1"), never
 * another origin ("//evil.example", "https://...", "/\evil.example") and no control characters.
 */
export const ZReturnTo = z
  .string()
  .max(RETURN_TO_MAX_LENGTH, { error: `returnTo is longer than ${RETURN_TO_MAX_LENGTH} characters` })
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .refine((value) => /^\/(?![/\\])[^\\\u0000-\u001f\u007f]*$/.test(value), {
    error: 'returnTo must be a path on this site, starting with a single "/"',
  });

/** Times in the API: ISO 8601 with an offset (there is no data transformer, DESIGN.md). */
export const ZIsoDate = z.iso.datetime({ offset: true });

export const ZUserInfo = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  /** App roles from the identity provider's token. */
  roles: z.array(z.string()),
  /** The home tenant (Entra ID `tid`). */
  tenantId: z.string().nullable(),
});
export type UserInfo = z.infer<typeof ZUserInfo>;

export const ZProfile = z.object({
  id: z.uuid(),
  displayName: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  bio: z.string().nullable(),
  /** The profile's own settings, which `auth.updateProfile` merges into; per-category ones are `auth.preferences`. */
  preferences: z.record(z.string(), z.unknown()),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
export type Profile = z.infer<typeof ZProfile>;

export const ZTenantContext = z.object({
  tenantId: z.string(),
  tenantName: z.string(),
  role: ZRole,
  isAdmin: z.boolean(),
  permissions: z.array(ZPermission),
});
export type TenantContext = z.infer<typeof ZTenantContext>;

/** Preferences by category, then by key. */
export const ZPreferencesByCategory = z.record(z.string(), z.record(z.string(), z.unknown()));
export type PreferencesByCategory = z.infer<typeof ZPreferencesByCategory>;

/** The current session's lifetime, as the server enforces it (DESIGN.md, security model). */
export const ZSessionInfo = z.object({
  sessionId: z.uuid(),
  createdAt: ZIsoDate,
  /** Moves later (sliding) when a request comes within the refresh threshold of it. */
  expiresAt: ZIsoDate,
  /** No renewal goes beyond this: the session ends then whatever happens. */
  absoluteExpiresAt: ZIsoDate,
  lastActivity: ZIsoDate,
  /** Minutes without a request after which the session ends. */
  idleTimeoutMinutes: z.number().int().positive(),
});
export type SessionInfo = z.infer<typeof ZSessionInfo>;

/** One of my sessions, as `auth.sessions` lists them. */
export const ZSessionSummary = z.object({
  sessionId: z.uuid(),
  createdAt: ZIsoDate,
  lastActivity: ZIsoDate,
  expiresAt: ZIsoDate,
  userAgent: z.string().nullable(),
  /** Browser and operating system in words, such as "Firefox 128 on Windows 10". */
  device: z.string(),
  ipAddress: z.string().nullable(),
  /** The session of the request that asked. */
  isCurrent: z.boolean(),
});
export type SessionSummary = z.infer<typeof ZSessionSummary>;

/** Output of `auth.sessions`: newest activity first. */
export const ZSessionList = z.array(ZSessionSummary);

export const ZRevokeSessionInput = z.strictObject({
  sessionId: z.uuid({ error: orRequired('must be a session id (a UUID)') }),
});
export type RevokeSessionInput = z.infer<typeof ZRevokeSessionInput>;

export const ZRevokeSessionResult = z.object({
  sessionId: z.uuid(),
  /** True when it was the session of the request itself: the cookie is cleared and sign-in follows. */
  signedOut: z.boolean(),
});
export type RevokeSessionResult = z.infer<typeof ZRevokeSessionResult>;

export const ZRevokeOtherSessionsResult = z.object({
  /** How many sessions ended. */
  revoked: z.number().int().nonnegative(),
});
export type RevokeOtherSessionsResult = z.infer<typeof ZRevokeOtherSessionsResult>;

/** Output of `auth.user`. `tenantContext` is null when the active tenant's membership has ended. */
export const ZAuthUser = z.object({
  user: ZUserInfo,
  profile: ZProfile,
  preferences: ZPreferencesByCategory,
  tenantContext: ZTenantContext.nullable(),
  permissions: z.array(ZPermission),
  sessionInfo: ZSessionInfo,
});
export type AuthUser = z.infer<typeof ZAuthUser>;

/** What POST /auth/logout answers a fetch caller. */
export const ZLogoutResult = z.object({
  signedOut: z.literal(true),
  /** The identity provider's end-session URL, to sign out there too (Entra ID only). */
  endSessionUrl: z.string().nullable(),
});
export type LogoutResult = z.infer<typeof ZLogoutResult>;
