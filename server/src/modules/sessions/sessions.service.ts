import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { EnhancedSession } from './sessions.entity';

/** Session and pre-auth tokens: 32 random bytes, base64url (DESIGN.md, security model). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Cookie values that cannot be one of our tokens are not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
export const isTokenShaped = (value: unknown): value is string => typeof value === 'string' && TOKEN_SHAPE.test(value);

/** The session behind a request, as the tRPC context and the HTTP routes see it. */
export interface ActiveSession {
  sessionId: string;
  userId: string;
  /** The active tenant. */
  tenantId: string | null;
  expiresAt: Date;
  lastActivity: Date;
}

function toActive(session: {
  id: string;
  user: { id: string };
  tenantContext: Record<string, unknown>;
  expiresAt: Date;
  lastActivity: Date;
}): ActiveSession {
  const tenantId = session.tenantContext.tenantId;
  return {
    sessionId: session.id,
    userId: session.user.id,
    tenantId: typeof tenantId === 'string' ? tenantId : null,
    expiresAt: session.expiresAt,
    lastActivity: session.lastActivity,
  };
}

export interface CreateSessionOptions {
  userId: string;
  tenantId: string;
  /** The provider's access token: only its SHA-256 is stored. */
  accessToken: string;
  userAgent: string | undefined;
  ipAddress: string | undefined;
  expireHours: number;
  now?: Date;
}

/** A new session with a new random token; the token is returned once and never stored. */
export function createSession(em: EntityManager, options: CreateSessionOptions): { token: string; session: ActiveSession } {
  const now = options.now ?? new Date();
  const token = newToken();
  const session = em.create(EnhancedSession, {
    user: options.userId,
    sessionTokenHash: hashToken(token),
    oauthTokenHash: hashToken(options.accessToken),
    userAgent: options.userAgent?.slice(0, 500) ?? null,
    ipAddress: options.ipAddress?.slice(0, 45) ?? null,
    tenantContext: { tenantId: options.tenantId },
    lastActivity: now,
    expiresAt: new Date(now.getTime() + options.expireHours * 3600_000),
    createdAt: now,
  });
  return { token, session: toActive({ ...session, user: { id: options.userId } }) };
}

/** The live session for a cookie value: none when unknown, expired or revoked. */
export async function findActiveSession(em: EntityManager, token: unknown, now = new Date()): Promise<ActiveSession | null> {
  if (!isTokenShaped(token)) return null;
  const session = await em.findOne(
    EnhancedSession,
    { sessionTokenHash: hashToken(token), revokedAt: null, expiresAt: { $gt: now } },
    { fields: ['id', 'user', 'tenantContext', 'expiresAt', 'lastActivity'] },
  );
  return session ? toActive({ ...session, user: { id: session.user.id } }) : null;
}

/** Ends a session at once; returns whether it was live. */
export async function revokeSession(em: EntityManager, sessionId: string, now = new Date()): Promise<boolean> {
  const updated = await em.nativeUpdate(EnhancedSession, { id: sessionId, revokedAt: null }, { revokedAt: now });
  return updated > 0;
}
