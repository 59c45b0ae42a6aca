import type { UsageBucket, UsageWindow } from '@mreg/shared';
import { i18n } from '../../i18n';
import { duration } from '../servers/words';

/**
 * How usage is said: the two periods, their buckets' labels, and each period in a sentence, in the
 * app's language at the time of the call; numbers in `locale` when the caller knows it.
 */

const t = i18n.getFixedT(null, 'servers');

export type Period = 'day' | 'week';

export const periodLabel = (period: Period) => t(period === 'day' ? 'usage.periodDay' : 'usage.periodWeek');

/** One bucket as the charts and the table take it. */
export interface UsagePoint {
  /** The axis' short label: "14:00" (or "2:00 PM"), "Sun 6". */
  tick: string;
  /** The table's and the tooltip's: "6 Dec, 14:00", "Sun, 6 Dec". */
  label: string;
  calls: number;
  succeeded: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/**
 * The buckets with their labels, in the person's language and time zone. Days are the server's
 * (whole UTC days), so they are named in UTC: a day named in another zone would be off by one west
 * of Greenwich.
 */
export function usagePoints(buckets: readonly UsageBucket[], period: Period, language: string | null, timeZone: string | null): UsagePoint[] {
  const locale = language ?? undefined;
  const zone = period === 'day' ? (timeZone ?? undefined) : 'UTC';
  const tick = new Intl.DateTimeFormat(locale, period === 'day' ? { hour: 'numeric', minute: '2-digit', timeZone: zone } : { weekday: 'short', day: 'numeric', timeZone: zone });
  const label = new Intl.DateTimeFormat(
    locale,
    period === 'day' ? { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit', timeZone: zone } : { weekday: 'short', day: 'numeric', month: 'short', timeZone: zone },
  );
  return buckets.map((bucket) => {
    const at = new Date(bucket.start);
    return {
      tick: tick.format(at),
      label: label.format(at),
      calls: bucket.calls,
      succeeded: bucket.calls - bucket.errors,
      errors: bucket.errors,
      p50Ms: bucket.p50Ms,
      p95Ms: bucket.p95Ms,
    };
  });
}

/** "8%" of the calls that failed ("8 %" in German); a dash without calls. */
export function errorRate(bucket: Pick<UsageBucket, 'calls' | 'errors'>, locale?: string): string {
  if (bucket.calls === 0) return '—';
  const percent = new Intl.NumberFormat(locale ?? i18n.resolvedLanguage, { style: 'percent', maximumFractionDigits: 0 });
  // A few errors among many calls are never shown as none.
  if (bucket.errors > 0 && bucket.errors * 100 < bucket.calls) return `<${percent.format(0.01)}`;
  return percent.format(Math.round((bucket.errors * 100) / bucket.calls) / 100);
}

export const latency = (ms: number | null, locale?: string) => (ms === null ? '—' : duration(ms, locale));

/** The calls chart in a sentence, for those who cannot see it: the totals and the busiest stretch. */
export function callsSummary(window: UsageWindow, points: readonly UsagePoint[], period: Period, locale?: string): string {
  const { total } = window;
  if (total.calls === 0) return t(period === 'day' ? 'usage.noneDay' : 'usage.noneWeek');
  const busiest = points.reduce((best, point) => (point.calls > best.calls ? point : best), points[0]!);
  return t(period === 'day' ? 'usage.callsDay' : 'usage.callsWeek', {
    calls: t('count.toolCalls', { count: total.calls, locale }),
    errors: t('count.errors', { count: total.errors, locale }),
    when: busiest.label,
    busiest: t('count.calls', { count: busiest.calls, locale }),
  });
}

/** The latency chart in a sentence. */
export function latencySummary(window: UsageWindow, period: Period, locale?: string): string {
  const { total } = window;
  if (total.calls === 0) return t(period === 'day' ? 'usage.noLatencyDay' : 'usage.noLatencyWeek');
  return t(period === 'day' ? 'usage.latencyDay' : 'usage.latencyWeek', { p50: latency(total.p50Ms, locale), p95: latency(total.p95Ms, locale) });
}
