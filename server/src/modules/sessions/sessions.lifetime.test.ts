import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_WRITE_INTERVAL_MS,
  cookieLifetimeMs,
  idleAt,
  initialExpiry,
  isLive,
  recordCutoffs,
  renewedExpiry,
  sessionEnd,
  type SessionLifetime,
} from './sessions.lifetime';

const HOUR = 3600_000;
const MINUTE = 60_000;
/** The defaults: 8 h expiry, renewed in its last hour, 24 h absolute, 30 min idle. */
const lifetime: SessionLifetime = { expireMs: 8 * HOUR, refreshThresholdMs: HOUR, absoluteMs: 24 * HOUR, idleMs: 30 * MINUTE };
const t0 = Date.UTC(2026, 11, 4, 9);

describe('initialExpiry', () => {
  it('is the expiry, never past the absolute lifetime', () => {
    expect(initialExpiry(t0, lifetime)).toBe(t0 + 8 * HOUR);
    expect(initialExpiry(t0, { ...lifetime, absoluteMs: 2 * HOUR })).toBe(t0 + 2 * HOUR);
  });
});

describe('isLive and sessionEnd', () => {
  const fresh = { createdAt: t0, expiresAt: t0 + 8 * HOUR, lastActivity: t0 };

  it('ends at the idle timeout when nobody uses the session', () => {
    expect(sessionEnd(fresh, lifetime)).toBe(t0 + 30 * MINUTE);
    expect(isLive(fresh, t0 + 30 * MINUTE - 1, lifetime)).toBe(true);
    expect(isLive(fresh, t0 + 30 * MINUTE, lifetime)).toBe(false);
  });

  it('ends at its expiry however active it is', () => {
    const busy = { ...fresh, lastActivity: t0 + 8 * HOUR - MINUTE };
    expect(isLive(busy, t0 + 8 * HOUR - 1, lifetime)).toBe(true);
    expect(isLive(busy, t0 + 8 * HOUR, lifetime)).toBe(false);
  });

  it('ends at the absolute lifetime even with a later expiry (settings lowered since)', () => {
    const renewed = { createdAt: t0, expiresAt: t0 + 30 * HOUR, lastActivity: t0 + 24 * HOUR - MINUTE };
    expect(sessionEnd(renewed, lifetime)).toBe(t0 + 24 * HOUR);
  });

  it('idleAt allows for an activity known only from the database', () => {
    expect(idleAt(fresh, t0 + 30 * MINUTE, lifetime)).toBe(true);
    expect(idleAt(fresh, t0 + 30 * MINUTE, lifetime, ACTIVITY_WRITE_INTERVAL_MS)).toBe(false);
    expect(idleAt(fresh, t0 + 31 * MINUTE, lifetime, ACTIVITY_WRITE_INTERVAL_MS)).toBe(true);
  });
});

describe('renewedExpiry', () => {
  it('renews nothing before the threshold', () => {
    expect(renewedExpiry({ createdAt: t0, expiresAt: t0 + 8 * HOUR }, t0 + 6 * HOUR, lifetime)).toBeNull();
  });

  it('slides the expiry within the threshold', () => {
    expect(renewedExpiry({ createdAt: t0, expiresAt: t0 + 8 * HOUR }, t0 + 7.5 * HOUR, lifetime)).toBe(t0 + 15.5 * HOUR);
  });

  it('never past the absolute lifetime, and nothing when that is where the expiry already is', () => {
    expect(renewedExpiry({ createdAt: t0, expiresAt: t0 + 20 * HOUR }, t0 + 19.5 * HOUR, lifetime)).toBe(t0 + 24 * HOUR);
    expect(renewedExpiry({ createdAt: t0, expiresAt: t0 + 24 * HOUR }, t0 + 23.5 * HOUR, lifetime)).toBeNull();
  });

  it('is off with a threshold of 0', () => {
    expect(renewedExpiry({ createdAt: t0, expiresAt: t0 + 8 * HOUR }, t0 + 8 * HOUR - 1, { ...lifetime, refreshThresholdMs: 0 })).toBeNull();
  });

  it('only ever moves the expiry later, and never past the absolute lifetime', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 24 * HOUR }), fc.integer({ min: 0, max: 24 * HOUR }), (expiresIn, at) => {
        const session = { createdAt: t0, expiresAt: t0 + expiresIn };
        const renewed = renewedExpiry(session, t0 + at, lifetime);
        if (renewed !== null) {
          expect(renewed).toBeGreaterThan(session.expiresAt);
          expect(renewed).toBeLessThanOrEqual(t0 + lifetime.absoluteMs);
        }
      }),
    );
  });
});

describe('recordCutoffs', () => {
  it('is live from the record when the expiry is ahead and the last activity within the idle time and a write interval', () => {
    const { expiresAfter, activeAfter } = recordCutoffs(t0, lifetime);
    expect(expiresAfter.getTime()).toBe(t0);
    expect(activeAfter.getTime()).toBe(t0 - 30 * MINUTE - ACTIVITY_WRITE_INTERVAL_MS);
  });
});

describe('cookieLifetimeMs', () => {
  it('lasts until the absolute lifetime ends', () => {
    expect(cookieLifetimeMs({ createdAt: new Date(t0) }, lifetime, new Date(t0 + HOUR))).toBe(23 * HOUR);
  });
});
