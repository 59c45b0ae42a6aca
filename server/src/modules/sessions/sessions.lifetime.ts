import type { Settings } from '../../config';

// The lifetime rules of a session (DESIGN.md, security model) as pure functions of epoch
// milliseconds: the session store applies them to every lookup, listing, count and clean-up.

/** The lifetime rules in milliseconds, computed once at boot from the MREG_FASTMCP_SESSION_* settings. */
export type SessionLifetime = Settings['sessionLifetime'];

/** `last_activity` reaches the database at most this often per session; the cache has it to the second. */
export const ACTIVITY_WRITE_INTERVAL_MS = 60_000;

/** The times a session's life depends on, epoch milliseconds. */
export interface SessionTimes {
  createdAt: number;
  expiresAt: number;
  lastActivity: number;
}

/** The expiry of a session created at `now`: never past its absolute lifetime. */
export function initialExpiry(now: number, lifetime: SessionLifetime): number {
  return now + Math.min(lifetime.expireMs, lifetime.absoluteMs);
}

/** When the session ends at the latest if nobody uses it: expiry, absolute lifetime or idle timeout. */
export function sessionEnd(session: SessionTimes, lifetime: SessionLifetime): number {
  return Math.min(session.expiresAt, session.createdAt + lifetime.absoluteMs, session.lastActivity + lifetime.idleMs);
}

/** Whether the session can still be used at `now`. */
export function isLive(session: SessionTimes, now: number, lifetime: SessionLifetime): boolean {
  return now < sessionEnd(session, lifetime);
}

/**
 * Whether the session has been idle too long at `now`. `activityLagMs` allows for a last activity
 * known only from the database, which may lag the last request by ACTIVITY_WRITE_INTERVAL_MS.
 */
export function idleAt(session: Pick<SessionTimes, 'lastActivity'>, now: number, lifetime: SessionLifetime, activityLagMs = 0): boolean {
  return now >= session.lastActivity + lifetime.idleMs + activityLagMs;
}

/** Where a sliding renewal moves the expiry at `now`, or null when none is due. */
export function renewedExpiry(session: Pick<SessionTimes, 'createdAt' | 'expiresAt'>, now: number, lifetime: SessionLifetime): number | null {
  if (lifetime.refreshThresholdMs === 0 || session.expiresAt - now > lifetime.refreshThresholdMs) return null;
  const next = Math.min(now + lifetime.expireMs, session.createdAt + lifetime.absoluteMs);
  return next > session.expiresAt ? next : null;
}

/**
 * The live-session rule where only the database's record is at hand (listings, counts, clean-up):
 * not revoked, expiry after `expiresAfter`, last activity after `activeAfter`. The database's
 * last_activity may lag the last request by up to a write interval, so idle means idle beyond that
 * too. Expiry in the database is exact (renewals are written at once) and is set within the
 * absolute lifetime, so that needs no test of its own: after MREG_FASTMCP_SESSION_ABSOLUTE_HOURS is
 * lowered, such sessions are refused at once (isLive) and deleted at their expiry.
 */
export function recordCutoffs(now: number, lifetime: SessionLifetime): { expiresAfter: Date; activeAfter: Date } {
  return { expiresAfter: new Date(now), activeAfter: new Date(now - lifetime.idleMs - ACTIVITY_WRITE_INTERVAL_MS) };
}

/**
 * How long the browser keeps the session cookie: until the absolute lifetime ends. The server decides
 * expiry on every request, so a renewal never has to send the cookie again (and cannot race a
 * rotation's new cookie with the old one).
 */
export function cookieLifetimeMs(session: { createdAt: Date }, lifetime: SessionLifetime, now: Date): number {
  return session.createdAt.getTime() + lifetime.absoluteMs - now.getTime();
}
