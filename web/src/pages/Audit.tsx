import { useInfiniteQuery } from '@tanstack/react-query';
import { useSearchParams } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { count } from '../components/useNow';
import { useUiPreferences } from '../prefs/usePreferences';
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
  const trpc = useTRPC();
  const client = useTRPCClient();
  const auth = useEnhancedAuth();
  const { timeZone } = useUiPreferences();
  const [search, setSearch] = useSearchParams();
  const filters = readFilters(search);
  const problem = rangeProblem(filters);
  const filter = apiFilter(filters, timeZone);
  const tenantName = auth.tenantContext?.tenantName ?? 'this tenant';

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
        <PageTitle title="Audit log">Who did what in {tenantName}, newest first.</PageTitle>
        {problem ? (
          <button type="button" disabled>
            Export CSV
          </button>
        ) : (
          <a className="button" href={exportHref(filter)} download>
            Export CSV
          </a>
        )}
      </div>

      <AuditFilterForm filters={filters} onChange={change} people={people} fromMembers={fromMembers} rangeProblem={problem} timeZone={timeZone} />

      {/* Says what a change of filter came to. */}
      <p role="status" className="audit-count muted">
        {list.isSuccess && events.length > 0 && `Showing ${count(events.length, 'event')}${list.hasNextPage ? ', more to load' : ''}.`}
      </p>

      {problem ? null : list.isPending ? (
        <Skeleton lines={6} label="Loading the audit log…" />
      ) : list.isError && !list.isFetchNextPageError ? (
        <LoadError what="The audit log could not be loaded" error={list.error} retry={() => list.refetch()} />
      ) : events.length === 0 ? (
        filtered ? (
          <EmptyState title="No events match these filters.">
            <p>Widen the days, or choose another action or person.</p>
            <button type="button" onClick={() => change(NO_FILTERS)}>
              Clear filters
            </button>
          </EmptyState>
        ) : (
          <EmptyState title="Nothing recorded yet.">
            Sign-ins, member changes, servers, API keys, connected apps and tool calls in {tenantName} are recorded here as they happen.
          </EmptyState>
        )
      ) : (
        <>
          <ol className="audit-list" aria-label={`Events in ${tenantName}`}>
            {events.map((event) => (
              <AuditEventItem key={event.id} event={event} tenantName={tenantName} />
            ))}
          </ol>
          {list.isFetchNextPageError && <LoadError what="More events could not be loaded" error={list.error} retry={() => list.fetchNextPage()} />}
          {list.hasNextPage && (
            <div className="actions audit-more">
              <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? 'Loading more…' : 'Load more'}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
