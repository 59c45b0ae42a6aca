import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/users.entity';

/**
 * A server-side browser session. The column names follow the enhanced-authentication plan, but
 * `session_token` and `oauth_token_hash` hold SHA-256 digests: raw tokens are never stored.
 */
export const EnhancedSession = defineEntity({
  name: 'EnhancedSession',
  tableName: 'enhanced_sessions',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    user: p.manyToOne(User).ref().deleteRule('cascade').index(),
    sessionTokenHash: p.string().length(255).name('session_token').unique(),
    oauthTokenHash: p.string().length(255),
    userAgent: p.string().length(500).nullable(),
    ipAddress: p.string().length(45).nullable(),
    tenantContext: p.json<Record<string, unknown>>().onCreate(() => ({})),
    lastActivity: p.datetime().defaultRaw('now()').onCreate(() => new Date()).index(),
    expiresAt: p.datetime().index(),
    /** Set by logout and revocation; a revoked session is refused at once and deleted by the clean-up. */
    revokedAt: p.datetime().nullable().index(),
    /** Set when the holder's role in the active tenant changed: the next request gets a new token. */
    rotationDueAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  }),
});
export type IEnhancedSession = InferEntity<typeof EnhancedSession>;

/**
 * A sign-in in progress: what /auth/callback must check, bound to the browser by the pre-auth
 * cookie (only its SHA-256 is stored). Consumed (deleted) by the callback, whatever the outcome.
 */
export const SignInRequest = defineEntity({
  name: 'SignInRequest',
  tableName: 'sign_in_requests',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    cookieHash: p.string().length(64).unique(),
    state: p.string().length(128).index(),
    nonce: p.string().length(128),
    codeVerifier: p.string().length(128),
    returnTo: p.string().length(2048),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    expiresAt: p.datetime().index(),
  }),
});
export type ISignInRequest = InferEntity<typeof SignInRequest>;
