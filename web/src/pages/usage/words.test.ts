import { describe, expect, it } from 'vitest';
import type { UsageBucket } from '@mreg/shared';
import { i18n } from '../../i18n';
import { callsSummary, errorRate, latencySummary, usagePoints } from './words';

const bucket = (start: string, calls = 0, errors = 0, p50Ms: number | null = null, p95Ms: number | null = null): UsageBucket => ({ start, calls, errors, p50Ms, p95Ms });

describe('usagePoints', () => {
  it('names hours in the chosen zone, and the server’s UTC days in UTC', () => {
    const hours = usagePoints([bucket('2026-12-06T13:00:00.000Z', 3, 1, 12, 40)], 'day', 'en-GB', 'Europe/Berlin');
    expect(hours[0]).toMatchObject({ tick: '14:00', label: '6 Dec, 14:00', calls: 3, succeeded: 2, errors: 1, p50Ms: 12, p95Ms: 40 });
    const days = usagePoints([bucket('2026-12-06T00:00:00.000Z')], 'week', 'en-GB', 'America/New_York');
    expect(days[0]).toMatchObject({ tick: 'Sun 6', label: 'Sun 6 Dec' });
  });
});

describe('summaries', () => {
  it('say the totals, the busiest stretch and the latency', () => {
    const buckets = [bucket('2026-12-06T13:00:00.000Z', 3, 1, 12, 40), bucket('2026-12-06T14:00:00.000Z', 5, 0, 10, 20)];
    const window = { total: bucket('2026-12-05T15:00:00.000Z', 8, 1, 11, 38), buckets };
    const points = usagePoints(buckets, 'day', 'en-GB', 'UTC');
    expect(callsSummary(window, points, 'day')).toBe('8 tool calls in the last 24 hours, 1 error; the busiest hour was 6 Dec, 14:00 with 5 calls.');
    expect(latencySummary(window, 'day')).toBe('Over the last 24 hours, half the tool calls took at most 11 ms, and 95 in 100 at most 38 ms.');
  });

  it('say plainly that there were none', () => {
    const window = { total: bucket('2026-12-01T00:00:00.000Z'), buckets: [] };
    expect(callsSummary(window, [], 'week')).toBe('No tool calls in the last 7 days.');
    expect(latencySummary(window, 'week')).toBe('No tool calls in the last 7 days, so no latency.');
  });
});

describe('errorRate', () => {
  it('rounds, but never hides a few errors among many calls as 0%', () => {
    expect(errorRate({ calls: 8, errors: 1 })).toBe('13%');
    expect(errorRate({ calls: 1000, errors: 1 })).toBe('<1%');
    expect(errorRate({ calls: 10, errors: 0 })).toBe('0%');
    expect(errorRate({ calls: 0, errors: 0 })).toBe('—');
  });
});

describe('in German', () => {
  it('says the summaries in German, with the locale’s numbers and dates', async () => {
    await i18n.changeLanguage('de');
    try {
      const buckets = [bucket('2026-12-06T13:00:00.000Z', 1234, 1, 12, 1500), bucket('2026-12-06T14:00:00.000Z', 5, 0, 10, 20)];
      const window = { total: bucket('2026-12-05T15:00:00.000Z', 1239, 1, 11, 1500), buckets };
      const points = usagePoints(buckets, 'day', 'de-DE', 'UTC');
      expect(callsSummary(window, points, 'day', 'de-DE')).toBe(
        '1.239 Tool-Aufrufe in den letzten 24 Stunden, 1 Fehler; die aufrufstärkste Stunde war 6. Dez., 13:00 (1.234 Aufrufe).',
      );
      expect(latencySummary(window, 'week', 'de-DE')).toBe('In den letzten 7 Tagen dauerte die Hälfte der Tool-Aufrufe höchstens 11 ms, 95 von 100 höchstens 1,5 s.');
      expect(callsSummary({ total: bucket('2026-12-01T00:00:00.000Z'), buckets: [] }, [], 'week', 'de-DE')).toBe('Keine Tool-Aufrufe in den letzten 7 Tagen.');
      expect(errorRate({ calls: 8, errors: 1 }, 'de-DE')).toBe('13\u00a0%');
      expect(errorRate({ calls: 1000, errors: 1 }, 'de-DE')).toBe('<1\u00a0%');
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
