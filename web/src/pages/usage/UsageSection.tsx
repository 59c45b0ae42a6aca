import { lazy, Suspense, useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { UsageWindow } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useLanguage, useUiPreferences } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { ChartBoundary } from './ChartBoundary';
import { TopUsage } from './TopUsage';
import { UsageTable } from './UsageTable';
import { useNumber } from '../servers/words';
import { callsSummary, errorRate, latency, latencySummary, periodLabel, usagePoints, type Period } from './words';
import './Usage.css';

const UsageCharts = lazy(() => import('./UsageCharts'));

const PERIODS: Period[] = ['day', 'week'];

interface UsageSectionProps {
  /** One server's calls; the whole tenant's without. */
  serverId?: string;
  /** What the calls are of, after "Tool calls": "in Contoso", "to Everything" (in the app's language). */
  scope: string;
}

/**
 * Usage at a glance (registry:read): tool calls, errors and latency over the last 24 hours or 7
 * days, drawn and as figures; the week's most used tools and most active people for audit:read.
 */
export function UsageSection({ serverId, scope }: UsageSectionProps) {
  const { t } = useTranslation('servers');
  const trpc = useTRPC();
  const { timeZone } = useUiPreferences();
  const { locale } = useLanguage();
  const headingId = useId();
  const [period, setPeriod] = useState<Period>('day');
  const usage = useQuery(trpc.audit.usage.queryOptions(serverId ? { serverId } : {}));
  // On the dashboard, the top tools link to their servers: those that still exist.
  const withTops = usage.data?.topTools != null;
  const servers = useQuery(trpc.registry.list.queryOptions(undefined, { enabled: !serverId && withTops }));
  const liveServers = !serverId && servers.data ? new Set(servers.data.map((server) => server.id)) : null;

  return (
    <section className="usage" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('usage.title')}</h2>
      <p className="usage-lead muted">{t('usage.lead', { scope })}</p>
      {usage.isPending ? (
        <Skeleton lines={5} label={t('usage.loading')} />
      ) : usage.isError ? (
        <LoadError what={t('usage.loadError')} error={usage.error} retry={() => usage.refetch()} />
      ) : usage.data.week.total.calls === 0 ? (
        <EmptyState title={t('usage.emptyTitle')}>{t('usage.emptyText')}</EmptyState>
      ) : (
        <div className="card usage-card">
          <div className="usage-periods" role="group" aria-label={t('usage.period')}>
            {PERIODS.map((option) => (
              <button key={option} type="button" aria-pressed={period === option} onClick={() => setPeriod(option)}>
                {periodLabel(option)}
              </button>
            ))}
          </div>
          <UsagePeriod window={usage.data[period]} period={period} locale={locale} timeZone={timeZone} />
          {usage.data.topTools && usage.data.topPeople && <TopUsage tools={usage.data.topTools} people={usage.data.topPeople} liveServers={liveServers} />}
        </div>
      )}
    </section>
  );
}

interface UsagePeriodProps {
  window: UsageWindow;
  period: Period;
  /** The person's locale: the buckets' names and the figures follow it. */
  locale: string;
  timeZone: string | null;
}

/** One period: its totals, its charts (loaded on demand) and its figures. */
function UsagePeriod({ window, period, locale, timeZone }: UsagePeriodProps) {
  const { t } = useTranslation('servers');
  const number = useNumber();
  const points = usagePoints(window.buckets, period, locale, timeZone);
  const { total } = window;
  return (
    <>
      <dl className="usage-totals" aria-label={t(period === 'day' ? 'usage.inFiguresDay' : 'usage.inFiguresWeek')}>
        <div>
          <dt>{t('usage.calls')}</dt>
          <dd>{number(total.calls)}</dd>
        </div>
        <div>
          <dt>{t('usage.errors')}</dt>
          <dd>
            {number(total.errors)} <span className="usage-rate">({errorRate(total, locale)})</span>
          </dd>
        </div>
        <div>
          <dt>{t('usage.p50')}</dt>
          <dd>{latency(total.p50Ms, locale)}</dd>
        </div>
        <div>
          <dt>{t('usage.p95')}</dt>
          <dd>{latency(total.p95Ms, locale)}</dd>
        </div>
      </dl>
      {total.calls === 0 ? (
        <p className="usage-none muted">{t(period === 'day' ? 'usage.noneDay' : 'usage.noneWeek')}</p>
      ) : (
        <ChartBoundary>
          <Suspense fallback={<Skeleton lines={6} label={t('usage.loadingCharts')} />}>
            <UsageCharts
              points={points}
              locale={locale}
              callsLabel={callsSummary(window, points, period, locale)}
              latencyLabel={latencySummary(window, period, locale)}
            />
          </Suspense>
        </ChartBoundary>
      )}
      <UsageTable points={points} period={period} locale={locale} />
    </>
  );
}
