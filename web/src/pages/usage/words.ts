import type { UsageBucket, UsageWindow } from '@mreg/shared';
import { count } from '../../components/useNow';
import { duration } from '../servers/words';

/** How usage is said: the two periods, their buckets' labels, and each period in a sentence. */

export type Period = 'day' | 'week';

export const PERIOD_LABEL: Record<Period, string> = { day: 'Last 24 hours', week: 'Last 7 days' };

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

/** "8%" of the calls that failed; a dash without calls. */
export const errorRate = (bucket: Pick<UsageBucket, 'calls' | 'errors'>) =>
  bucket.calls === 0 ? '—' : `${bucket.errors > 0 && bucket.errors * 100 < bucket.calls ? '<1' : Math.round((bucket.errors * 100) / bucket.calls)}%`;

export const latency = (ms: number | null) => (ms === null ? '—' : duration(ms));

/** The calls chart in a sentence, for those who cannot see it: the totals and the busiest stretch. */
export function callsSummary(window: UsageWindow, points: readonly UsagePoint[], period: Period): string {
  const { total } = window;
  const span = PERIOD_LABEL[period].toLowerCase();
  if (total.calls === 0) return `No tool calls in the ${span}.`;
  const busiest = points.reduce((best, point) => (point.calls > best.calls ? point : best), points[0]!);
  const unit = period === 'day' ? 'hour' : 'day';
  return `${count(total.calls, 'tool call')} in the ${span}, ${count(total.errors, 'error')}; the busiest ${unit} was ${busiest.label} with ${count(busiest.calls, 'call')}.`;
}

/** The latency chart in a sentence. */
export function latencySummary(window: UsageWindow, period: Period): string {
  const { total } = window;
  const span = PERIOD_LABEL[period].toLowerCase();
  if (total.calls === 0) return `No tool calls in the ${span}, so no latency.`;
  return `Over the ${span}, half the tool calls took at most ${latency(total.p50Ms)}, and 95 in 100 at most ${latency(total.p95Ms)}.`;
}
