import { describe, expect, it } from 'vitest';
import { currentZoneName, formatOffset, searchZones, zoneLabel, zoneOptions } from './time-zones';

const JULY = new Date('2026-07-01T12:00:00Z');

describe('the time-zone list', () => {
  const options = zoneOptions(Intl.supportedValuesOf('timeZone'), 'en-US', JULY);

  it('uses current names only, once each, with UTC', () => {
    const ids = options.map((option) => option.id);
    expect(ids).toContain('Asia/Kolkata');
    expect(ids).toContain('Europe/Kyiv');
    expect(ids).toContain('UTC');
    for (const retired of ['Asia/Calcutta', 'Europe/Kiev', 'Asia/Saigon', 'America/Buenos_Aires']) expect(ids).not.toContain(retired);
    expect(new Set(ids).size).toBe(ids.length);
    expect(currentZoneName('Asia/Calcutta')).toBe('Asia/Kolkata');
  });

  it('orders by the offset now, west to east, and labels each with it and its name', () => {
    const offsets = options.map((option) => option.offsetMinutes);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    const kolkata = options.find((option) => option.id === 'Asia/Kolkata')!;
    expect(zoneLabel(kolkata)).toBe('UTC+05:30 · Asia/Kolkata · India Standard Time');
    // Daylight saving time counts: Berlin is two hours ahead in July.
    expect(options.find((option) => option.id === 'Europe/Berlin')!.offset).toBe('UTC+02:00');
    expect(formatOffset(-480)).toBe('UTC−08:00');
  });

  it('finds zones by city, by name and by offset', () => {
    expect(searchZones(options, 'los angeles').map((o) => o.id)).toEqual(['America/Los_Angeles']);
    expect(searchZones(options, 'India').map((o) => o.id)).toContain('Asia/Kolkata');
    expect(searchZones(options, '+05:30').map((o) => o.id)).toContain('Asia/Kolkata');
    expect(searchZones(options, '+5:30').map((o) => o.id)).toContain('Asia/Kolkata');
    expect(searchZones(options, 'calcutta')).toEqual([]);
    expect(searchZones(options, '')).toHaveLength(options.length);
  });

  it('names zones in the app’s language', () => {
    const german = zoneOptions(['Asia/Calcutta'], 'de-DE', JULY).find((option) => option.id === 'Asia/Kolkata')!;
    expect(german.name).toBe('Indische Normalzeit');
  });
});
