import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useLanguage, useUiPreferences } from '../prefs/usePreferences';
import { useTRPC, useTRPCClient } from '../trpc';
import { AuditEventItem } from './audit/AuditEventItem';
import { AuditFilterForm } from './audit/AuditFilterForm';
import { apiFilter, exportHref, filterSearch, hasFilters, NO_FILTERS, rangeProblem, readFilters, type AuditFilters } from './audit/filters';
import { usePeople } from './audit/people';
import './Audit.css';

/** Events a page of the list brings. */
const PAGE = 50;

/**
 * The active tenant's audit log, for audit:read: newest first, a page at a time, narrowed by action,
 * person and days (kept in the address), each event a sentence that opens onto its raw fields; the
 * same filter as CSV.
 */
export function Audit() {
  const { t } = useTranslation('audit');
  const trpc = useTRPC();
  const client = useTRPCClient();
  const auth = useEnhancedAuth();
  const { timeZone } = useUiPreferences();
  const { locale } = useLanguage();
  const [search, setSearch] = useSearchParams();
  const filters = readFilters(search);
  const problem = rangeProblem(filters);
  const filter = apiFilter(filters, timeZone);
  const tenantName = auth.tenantContext?.tenantName ?? t('thisTenant');

  const list = useInfiniteQuery({
    queryKey: trpc.audit.list.infiniteQueryKey({ ...filter, limit: PAGE }),
    // By hand rather than infiniteQueryOptions: that adds `direction` to the input, which the strict schema refuses.
    queryFn: ({ pageParam, signal }) => client.audit.list.query({ ...filter, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) }, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    enabled: !problem,
    // Changes made on other pages a moment ago belong here at once: read again on every visit.
    staleTime: 0,
  });
  const events = list.data?.pages.flatMap((page) => page.events) ?? [];
  const { people, fromMembers } = usePeople(events, filters.person);
  const filtered = hasFilters(filters);

  const change = (next: AuditFilters) => setSearch(filterSearch(next), { replace: true });

  return (
    <section className="audit-page">
      <div className="audit-head">
        <PageTitle title={t('title')}>{t('lead', { tenant: tenantName })}</PageTitle>
        {problem ? (
          <button type="button" disabled>
            {t('exportCsv')}
          </button>
        ) : (
          <a className="button" href={exportHref(filter)} download>
            {t('exportCsv')}
          </a>
        )}
      </div>

      <AuditFilterForm filters={filters} onChange={change} people={people} fromMembers={fromMembers} rangeProblem={problem} timeZone={timeZone} />

      {/* Says what a change of filter came to. */}
      <p role="status" className="audit-count muted">
        {list.isSuccess && events.length > 0 && t(list.hasNextPage ? 'showingMore' : 'showing', { count: events.length, locale })}
      </p>

      {problem ? null : list.isPending ? (
        <Skeleton lines={6} label={t('loading')} />
      ) : list.isError && !list.isFetchNextPageError ? (
        <LoadError what={t('loadError')} error={list.error} retry={() => list.refetch()} />
      ) : events.length === 0 ? (
        filtered ? (
          <EmptyState title={t('noMatchTitle')}>
            <p>{t('noMatchText')}</p>
            <button type="button" onClick={() => change(NO_FILTERS)}>
              {t('clearFilters')}
            </button>
          </EmptyState>
        ) : (
          <EmptyState title={t('emptyTitle')}>{t('emptyText', { tenant: tenantName })}</EmptyState>
        )
      ) : (
        <>
          <ol className="audit-list" aria-label={t('listLabel', { tenant: tenantName })}>
            {events.map((event) => (
              <AuditEventItem key={event.id} event={event} tenantName={tenantName} />
            ))}
          </ol>
          {list.isFetchNextPageError && <LoadError what={t('moreError')} error={list.error} retry={() => list.fetchNextPage()} />}
          {list.hasNextPage && (
            <div className="actions audit-more">
              <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? t('loadingMore') : t('loadMore')}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
