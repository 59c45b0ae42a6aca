import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '@mreg/shared';
import { decisionTime, planSession, WARNING_LEAD_MS } from './session-timing';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const min = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function info(over: { expires: number; absolute: number; lastActivity?: number; idleMinutes?: number }): SessionInfo {
  return {
    sessionId: '00000000-0000-4000-8000-000000000000',
    createdAt: iso(T0),
    expiresAt: iso(over.expires),
    absoluteExpiresAt: iso(over.absolute),
    lastActivity: iso(over.lastActivity ?? T0),
    idleTimeoutMinutes: over.idleMinutes ?? 720,
  };
}

describe('planSession', () => {
  it('refreshes five minutes before a renewable expiry', () => {
    const plan = planSession(info({ expires: T0 + 60 * min, absolute: T0 + 600 * min }), T0, T0);
    expect(plan).toEqual({ kind: 'refresh', at: T0 + 55 * min, endsAt: T0 + 60 * min });
  });

  it('refreshes halfway when the end is closer than ten minutes', () => {
    const plan = planSession(info({ expires: T0 + 4 * min, absolute: T0 + 600 * min }), T0, T0);
    expect(plan).toEqual({ kind: 'refresh', at: T0 + 2 * min, endsAt: T0 + 4 * min });
  });

  it('warns a minute before the absolute end, which nothing extends', () => {
    const plan = planSession(info({ expires: T0 + 60 * min, absolute: T0 + 30 * min }), T0, T0);
    expect(plan).toEqual({ kind: 'warn', at: T0 + 30 * min - WARNING_LEAD_MS, endsAt: T0 + 30 * min, reason: 'lifetime' });
  });

  it('keeps an idle session alive only if the person used the page since the last request', () => {
    const session = info({ expires: T0 + 600 * min, absolute: T0 + 6000 * min, lastActivity: T0, idleMinutes: 30 });
    expect(planSession(session, T0 + min, T0 + min)).toMatchObject({ kind: 'refresh', endsAt: T0 + 30 * min });
    expect(planSession(session, T0 + min, T0 - min)).toEqual({ kind: 'warn', at: T0 + 29 * min, endsAt: T0 + 30 * min, reason: 'idle' });
  });

  it('decides when a renewal would be due, so a person who comes back before then is counted', () => {
    const session = info({ expires: T0 + 600 * min, absolute: T0 + 6000 * min, lastActivity: T0, idleMinutes: 30 });
    expect(decisionTime(session, T0)).toBe(T0 + 25 * min);
    expect(planSession(session, T0, T0 - min).kind).toBe('warn');
    expect(planSession(session, T0 + 25 * min, T0 + 10 * min).kind).toBe('refresh');
  });

  it('treats an end the last refresh did not move as unavoidable', () => {
    const plan = planSession(info({ expires: T0 + 60 * min, absolute: T0 + 600 * min }), T0, T0, false);
    expect(plan).toMatchObject({ kind: 'warn', reason: 'lifetime', endsAt: T0 + 60 * min });
  });
});
