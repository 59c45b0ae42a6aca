import { describe, expect, it } from 'vitest';
import { ZListAuditInput } from '@mreg/shared';
import { apiFilter, exportHref, filterSearch, NO_FILTERS, rangeProblem, readFilters, startOfDay } from './filters';

const UMA = '22222222-2222-4222-8222-222222222222';

describe('readFilters and filterSearch', () => {
  it('go there and back, leaving out what is empty', () => {
    const filters = { action: 'member.removed' as const, person: UMA, from: '2026-12-01', to: '2026-12-06' };
    expect(readFilters(new URLSearchParams(filterSearch(filters)))).toEqual(filters);
    expect(filterSearch(NO_FILTERS)).toBe('');
  });

  it('drop what the address holds that no filter can be', () => {
    expect(readFilters(new URLSearchParams('action=member.exploded&person=ada&from=yesterday&to=2026-13-45'))).toEqual(NO_FILTERS);
  });
});

describe('startOfDay', () => {
  it('is the day’s first instant in the chosen time zone, daylight saving included', () => {
    expect(startOfDay('2026-12-06', 'UTC')).toBe('2026-12-06T00:00:00.000Z');
    expect(startOfDay('2026-12-06', 'Europe/Berlin')).toBe('2026-12-05T23:00:00.000Z');
    expect(startOfDay('2026-07-01', 'Europe/Berlin')).toBe('2026-06-30T22:00:00.000Z');
    expect(startOfDay('2026-12-06', 'America/New_York')).toBe('2026-12-06T05:00:00.000Z');
    expect(startOfDay('2026-12-06', 'Asia/Kolkata')).toBe('2026-12-05T18:30:00.000Z');
    // The day clocks go forward in New York: midnight is still EST.
    expect(startOfDay('2026-03-08', 'America/New_York')).toBe('2026-03-08T05:00:00.000Z');
  });
});

describe('apiFilter and exportHref', () => {
  it('make the last day inclusive, and pass the shared schema', () => {
    const filter = apiFilter({ action: 'tool.called', person: UMA, from: '2026-12-01', to: '2026-12-06' }, 'UTC');
    expect(filter).toEqual({ action: 'tool.called', actorId: UMA, since: '2026-12-01T00:00:00.000Z', until: '2026-12-07T00:00:00.000Z' });
    expect(ZListAuditInput.safeParse(filter).success).toBe(true);
    expect(exportHref(filter)).toBe(
      `/audit/export.csv?action=tool.called&actorId=${UMA}&since=2026-12-01T00%3A00%3A00.000Z&until=2026-12-07T00%3A00%3A00.000Z`,
    );
  });

  it('one day is a whole day; no filter exports everything', () => {
    const filter = apiFilter({ ...NO_FILTERS, from: '2026-12-06', to: '2026-12-06' }, 'UTC');
    expect(ZListAuditInput.safeParse(filter).success).toBe(true);
    expect(apiFilter(NO_FILTERS, null)).toEqual({});
    expect(exportHref({})).toBe('/audit/export.csv');
  });

  it('an end before the start is said, not asked', () => {
    expect(rangeProblem({ ...NO_FILTERS, from: '2026-12-06', to: '2026-12-05' })).toMatch(/must not be before/);
    expect(rangeProblem({ ...NO_FILTERS, from: '2026-12-06', to: '2026-12-06' })).toBeNull();
  });
});
