import type { SessionInfo } from '@mreg/shared';

/** How long before the absolute end the person is told they will be signed out. */
export const WARNING_LEAD_MS = 60_000;
/** How long before a renewable end the app asks the server to renew the session. */
const REFRESH_LEAD_MS = 5 * 60_000;
const MIN_LEAD_MS = 5_000;

function refreshLead(endsAt: number, now: number): number {
  return Math.max(MIN_LEAD_MS, Math.min(REFRESH_LEAD_MS, (endsAt - now) / 2));
}

/**
 * When the open app next decides between renewing and warning: the time a renewal would be due.
 * Deciding then, not when planning, counts whoever has used the page in between.
 */
export function decisionTime(info: SessionInfo, now: number): number {
  const endsAt = sessionEnd(info);
  return endsAt - refreshLead(endsAt, now);
}

/** When the session ends if nothing more happens: its expiry, absolute lifetime or idle timeout, whichever is first. */
export function sessionEnd(info: SessionInfo): number {
  const idleEnd = Date.parse(info.lastActivity) + info.idleTimeoutMinutes * 60_000;
  return Math.min(Date.parse(info.expiresAt), Date.parse(info.absoluteExpiresAt), idleEnd);
}

export type SessionPlan =
  /** Ask the server to renew at `at` (a request near the end slides it; DESIGN.md). */
  | { kind: 'refresh'; at: number; endsAt: number }
  /**
   * Warn at `at`; it ends at `endsAt`. `lifetime`: nothing can extend it (the absolute lifetime, or
   * an end the server would not renew). `idle`: a request would, but nobody has used the page.
   */
  | { kind: 'warn'; at: number; endsAt: number; reason: 'lifetime' | 'idle' };

/**
 * What the open app should do next about its session. It ends at the earliest of its expiry, its
 * absolute lifetime and its idle timeout. An expiry or idle end is pushed back by a request, so the
 * app refreshes shortly before it: the idle one only if the person has used the page since the last
 * request (an unattended tab is allowed to time out). The absolute end moves for nothing: the person
 * is warned a minute ahead. `renewable: false` says the last refresh did not move the end (the
 * server renews nothing when its refresh threshold is 0), so it is treated as absolute too.
 */
export function planSession(info: SessionInfo, now: number, lastInteraction: number, renewable = true): SessionPlan {
  const expiresAt = Date.parse(info.expiresAt);
  const absolute = Date.parse(info.absoluteExpiresAt);
  const lastActivity = Date.parse(info.lastActivity);
  const idleEnd = lastActivity + info.idleTimeoutMinutes * 60_000;
  const endsAt = sessionEnd(info);
  const lead = refreshLead(endsAt, now);
  const idleDriven = idleEnd === endsAt && idleEnd < expiresAt;
  if (!renewable || absolute === endsAt) return { kind: 'warn', at: endsAt - WARNING_LEAD_MS, endsAt, reason: 'lifetime' };
  if (idleDriven && lastInteraction <= lastActivity) return { kind: 'warn', at: endsAt - WARNING_LEAD_MS, endsAt, reason: 'idle' };
  return { kind: 'refresh', at: endsAt - lead, endsAt };
}
