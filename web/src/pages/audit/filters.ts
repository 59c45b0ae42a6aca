import { AUDIT_ACTIONS, type AuditAction, type AuditFilter } from '@mreg/shared';
import { i18n } from '../../i18n';

/**
 * The audit page's filters: what the address says (so that a filtered view can be reloaded, shared
 * and gone back to), and the `audit.list` / CSV export filter it stands for. Dates are whole days in
 * the person's time zone (Preferences), the end day included.
 */
export interface AuditFilters {
  action: AuditAction | null;
  /** A person's user id. */
  person: string | null;
  /** YYYY-MM-DD, the first day shown. */
  from: string | null;
  /** YYYY-MM-DD, the last day shown. */
  to: string | null;
}

export const NO_FILTERS: AuditFilters = { action: null, person: null, from: null, to: null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const validDay = (value: string | null) => (value && DAY.test(value) && !Number.isNaN(Date.parse(value)) ? value : null);

/** The filters in a query string; anything unusable there is left out rather than refused. */
export function readFilters(search: URLSearchParams): AuditFilters {
  const action = search.get('action');
  const person = search.get('person');
  return {
    action: AUDIT_ACTIONS.includes(action as AuditAction) ? (action as AuditAction) : null,
    person: person && UUID.test(person) ? person.toLowerCase() : null,
    from: validDay(search.get('from')),
    to: validDay(search.get('to')),
  };
}

/** The query string of the filters, without the empty ones. */
export function filterSearch(filters: AuditFilters): string {
  const params = new URLSearchParams();
  if (filters.action) params.set('action', filters.action);
  if (filters.person) params.set('person', filters.person);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  return params.toString();
}

export const hasFilters = (filters: AuditFilters) => Object.values(filters).some((value) => value !== null);

/** The end day before the start day: nothing could match, so it is said beside the field (in the app's language) instead of asked. */
export const rangeProblem = (filters: AuditFilters): string | null =>
  filters.from && filters.to && filters.to < filters.from ? i18n.t('filters.rangeProblem', { ns: 'audit' }) : null;

/** Milliseconds to add to UTC to read the wall clock in `timeZone` at `instant`. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(instant))
      .map((part) => [part.type, Number(part.value)]),
  );
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant (ISO) at which `day` (YYYY-MM-DD) begins in `timeZone`, or in the browser's zone when null. */
export function startOfDay(day: string, timeZone: string | null): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  if (!timeZone) return new Date(year, month - 1, date).toISOString();
  const wall = Date.UTC(year, month - 1, date);
  // Twice: the offset at the first guess may be the other side of a daylight-saving change.
  const guess = wall - zoneOffset(wall, timeZone);
  return new Date(wall - zoneOffset(guess, timeZone)).toISOString();
}

/** The day after `day` (YYYY-MM-DD). */
export function nextDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** The filter of `audit.list` and the export: `since` the first day's start, `until` the day after the last one. */
export function apiFilter(filters: AuditFilters, timeZone: string | null): AuditFilter {
  return {
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.person ? { actorId: filters.person } : {}),
    ...(filters.from ? { since: startOfDay(filters.from, timeZone) } : {}),
    ...(filters.to ? { until: startOfDay(nextDay(filters.to), timeZone) } : {}),
  };
}

/** The CSV export's address under the same filter (the server takes exactly these parameters). */
export function exportHref(filter: AuditFilter): string {
  const params = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
  const query = params.toString();
  return query ? `/audit/export.csv?${query}` : '/audit/export.csv';
}
