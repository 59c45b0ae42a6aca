import { lazy, Suspense, useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { UsageWindow } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useUiPreferences } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { ChartBoundary } from './ChartBoundary';
import { TopUsage } from './TopUsage';
import { UsageTable } from './UsageTable';
import { callsSummary, errorRate, latency, latencySummary, PERIOD_LABEL, usagePoints, type Period } from './words';
import './Usage.css';

const UsageCharts = lazy(() => import('./UsageCharts'));

interface UsageSectionProps {
  /** One server's calls; the whole tenant's without. */
  serverId?: string;
  /** What the calls are of, after "Tool calls": "in Contoso", "to Everything". */
  scope: string;
}

/**
 * Usage at a glance (registry:read): tool calls, errors and latency over the last 24 hours or 7
 * days, drawn and as figures; the week's most used tools and most active people for audit:read.
 */
export function UsageSection({ serverId, scope }: UsageSectionProps) {
  const trpc = useTRPC();
  const { language, timeZone } = useUiPreferences();
  const headingId = useId();
  const [period, setPeriod] = useState<Period>('day');
  const usage = useQuery(trpc.audit.usage.queryOptions(serverId ? { serverId } : {}));
  // On the dashboard, the top tools link to their servers: those that still exist.
  const withTops = usage.data?.topTools != null;
  const servers = useQuery(trpc.registry.list.queryOptions(undefined, { enabled: !serverId && withTops }));
  const liveServers = !serverId && servers.data ? new Set(servers.data.map((server) => server.id)) : null;

  return (
    <section className="usage" aria-labelledby={headingId}>
      <h2 id={headingId}>Usage</h2>
      <p className="usage-lead muted">Tool calls {scope} through MREG.</p>
      {usage.isPending ? (
        <Skeleton lines={5} label="Loading the usage…" />
      ) : usage.isError ? (
        <LoadError what="The usage could not be loaded" error={usage.error} retry={() => usage.refetch()} />
      ) : usage.data.week.total.calls === 0 ? (
        <EmptyState title="No tool calls in the last 7 days.">
          Calls through MREG&apos;s MCP address, with an API key or a connected app, show here with their errors and how long they took.
        </EmptyState>
      ) : (
        <div className="card usage-card">
          <div className="usage-periods" role="group" aria-label="Period">
            {(['day', 'week'] as const).map((option) => (
              <button key={option} type="button" aria-pressed={period === option} onClick={() => setPeriod(option)}>
                {PERIOD_LABEL[option]}
              </button>
            ))}
          </div>
          <UsagePeriod window={usage.data[period]} period={period} language={language} timeZone={timeZone} />
          {usage.data.topTools && usage.data.topPeople && <TopUsage tools={usage.data.topTools} people={usage.data.topPeople} liveServers={liveServers} />}
        </div>
      )}
    </section>
  );
}

interface UsagePeriodProps {
  window: UsageWindow;
  period: Period;
  language: string | null;
  timeZone: string | null;
}

/** One period: its totals, its charts (loaded on demand) and its figures. */
function UsagePeriod({ window, period, language, timeZone }: UsagePeriodProps) {
  const points = usagePoints(window.buckets, period, language, timeZone);
  const { total } = window;
  return (
    <>
      <dl className="usage-totals" aria-label={`${PERIOD_LABEL[period]} in figures`}>
        <div>
          <dt>Calls</dt>
          <dd>{total.calls}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>
            {total.errors} <span className="usage-rate">({errorRate(total)})</span>
          </dd>
        </div>
        <div>
          <dt>p50</dt>
          <dd>{latency(total.p50Ms)}</dd>
        </div>
        <div>
          <dt>p95</dt>
          <dd>{latency(total.p95Ms)}</dd>
        </div>
      </dl>
      {total.calls === 0 ? (
        <p className="usage-none muted">No tool calls in the {PERIOD_LABEL[period].toLowerCase()}.</p>
      ) : (
        <ChartBoundary>
          <Suspense fallback={<Skeleton lines={6} label="Loading the charts…" />}>
            <UsageCharts points={points} callsLabel={callsSummary(window, points, period)} latencyLabel={latencySummary(window, period)} />
          </Suspense>
        </ChartBoundary>
      )}
      <UsageTable points={points} period={period} />
    </>
  );
}
