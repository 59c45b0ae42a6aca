import type { EntityManager } from '@mikro-orm/postgresql';
import {
  AUDIT_PAGE_DEFAULT,
  type AuditEvent,
  type AuditFilter,
  type AuditPage,
  type ListAuditInput,
  type Usage,
  type UsageBucket,
  type UsageWindow,
} from '@mreg/shared';

/**
 * Reading the audit log: one tenant's events, newest first by time (then id), a page at a time by
 * keyset, so that events written meanwhile do not shift the pages; and usage, from its tool calls.
 * Tool calls are written up to a second after they happen, so one may land in a page already read:
 * a later reading finds it. Every query names the tenant: no filter or cursor reaches another
 * tenant's events.
 */

type Timestamp = string | Date;

interface EventRow {
  id: string;
  at: Timestamp;
  /** The time to the microsecond (a Date holds milliseconds), for the cursor. */
  at_us: string;
  tenant_id: string | null;
  actor_kind: AuditEvent['actor']['kind'];
  actor_user_id: string | null;
  actor_label: string | null;
  actor_name: string | null;
  actor_email: string | null;
  actor_credential_id: string | null;
  credential_name: string | null;
  action: AuditEvent['action'];
  target_kind: NonNullable<AuditEvent['target']>['kind'] | null;
  target_id: string | null;
  target_label: string | null;
  target_user_name: string | null;
  session_owner_name: string | null;
  outcome: AuditEvent['outcome'];
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  duration_ms: number | null;
  details: Record<string, unknown>;
}

const EVENT_SELECT = `
  select e.id::text as id, e.at, (extract(epoch from e.at) * 1000000)::bigint::text as at_us, e.tenant_id, e.actor_kind, e.actor_user_id, e.actor_label,
         coalesce(ap.display_name, au.name) as actor_name, au.email as actor_email,
         e.actor_credential_id, coalesce(k.name, c.name) as credential_name,
         e.action, e.target_kind, e.target_id, e.target_label,
         coalesce(tp.display_name, tu.name) as target_user_name,
         coalesce(sp.display_name, su.name) as session_owner_name,
         e.outcome, e.reason, e.ip, e.user_agent, e.request_id, e.duration_ms, e.details
    from audit_events e
    left join users au on au.id = e.actor_user_id
    left join user_profiles ap on ap.user_id = e.actor_user_id
    left join api_keys k on e.actor_kind = 'api_key' and k.id::text = e.actor_credential_id
    left join oauth_clients c on e.actor_kind = 'oauth_client' and c.id = e.actor_credential_id
    left join users tu on e.target_kind = 'user' and tu.id::text = e.target_id
    left join user_profiles tp on e.target_kind = 'user' and tp.user_id::text = e.target_id
    left join users su on e.target_kind = 'session' and su.id::text = e.details->>'userId'
    left join user_profiles sp on e.target_kind = 'session' and sp.user_id::text = e.details->>'userId'`;

function toEvent(row: EventRow): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    tenantId: row.tenant_id,
    actor: {
      kind: row.actor_kind,
      userId: row.actor_user_id,
      name: row.actor_name ?? row.actor_label,
      email: row.actor_email,
      credentialId: row.actor_credential_id,
      credentialName: row.credential_name,
    },
    action: row.action,
    target: row.target_kind && row.target_id ? { kind: row.target_kind, id: row.target_id, label: row.target_user_name ?? row.session_owner_name ?? row.target_label } : null,
    outcome: row.outcome,
    reason: row.reason,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    durationMs: row.duration_ms,
    details: row.details,
  };
}

/** The where clause of a tenant's events under `filter`, after `cursor` (an event id) when given. */
function whereOf(tenantId: string, filter: AuditFilter, cursor?: string): { sql: string; params: unknown[] } {
  const conditions: [string, unknown][] = [['e.tenant_id = ?', tenantId]];
  if (filter.action) conditions.push(['e.action = ?', filter.action]);
  if (filter.actorId) conditions.push(['e.actor_user_id = ?', filter.actorId]);
  if (filter.since) conditions.push(['e.at >= ?', filter.since]);
  if (filter.until) conditions.push(['e.at < ?', filter.until]);
  const clauses = conditions.map(([sql]) => sql);
  const params = conditions.map(([, param]) => param);
  if (cursor) {
    const [time, id] = cursor.split('.');
    clauses.push(`(e.at, e.id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?::bigint)`);
    params.push(time, id);
  }
  return { sql: clauses.join(' and '), params };
}

/** One page of the tenant's events, newest first; `nextCursor` is null on the last page. */
export async function listAuditEvents(em: EntityManager, tenantId: string, input: ListAuditInput): Promise<AuditPage> {
  const limit = input.limit ?? AUDIT_PAGE_DEFAULT;
  const where = whereOf(tenantId, input, input.cursor);
  const rows = await em.execute<EventRow[]>(`${EVENT_SELECT} where ${where.sql} order by e.at desc, e.id desc limit ?`, [...where.params, limit + 1]);
  const last = rows.length > limit ? rows[limit - 1]! : undefined;
  return { events: rows.slice(0, limit).map(toEvent), nextCursor: last ? `${last.at_us}.${last.id}` : null };
}

/** Events read per query while exporting. */
const EXPORT_PAGE = 500;

/** Every event of the tenant under `filter`, newest first, a page at a time (the CSV export). */
export async function* auditEventPages(em: EntityManager, tenantId: string, filter: AuditFilter): AsyncGenerator<AuditEvent[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await listAuditEvents(em, tenantId, { ...filter, cursor, limit: EXPORT_PAGE });
    if (page.events.length > 0) yield page.events;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** Outcomes counted as errors in usage: the tool failed, timed out, or MREG refused the call. */
const ERROR_OUTCOMES = `('failure', 'error', 'timeout', 'refused')`;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

interface BucketRow {
  start: Timestamp | null;
  calls: string | number;
  errors: string | number;
  p50: number | null;
  p95: number | null;
}

const toBucket = (row: BucketRow, start: Date): UsageBucket => ({
  start: start.toISOString(),
  calls: Number(row.calls),
  errors: Number(row.errors),
  p50Ms: row.p50 === null ? null : Math.round(row.p50),
  p95Ms: row.p95 === null ? null : Math.round(row.p95),
});

/** `count` buckets of `stepMs` ending with the one that holds `now`, and the whole window's figures. */
async function usageWindow(em: EntityManager, tenantId: string, serverId: string | undefined, now: Date, stepMs: number, count: number): Promise<UsageWindow> {
  const last = Math.floor(now.getTime() / stepMs) * stepMs;
  const first = new Date(last - (count - 1) * stepMs);
  const rows = await em.execute<BucketRow[]>(
    `select start, count(*) as calls,
            count(*) filter (where outcome in ${ERROR_OUTCOMES}) as errors,
            percentile_cont(0.5) within group (order by duration_ms) as p50,
            percentile_cont(0.95) within group (order by duration_ms) as p95
       from (select to_timestamp(floor(extract(epoch from at) * 1000 / ?) * ? / 1000.0) as start, outcome, duration_ms
               from audit_events
              where tenant_id = ? and action = 'tool.called' and at >= ? and at < ?${serverId ? ' and target_id = ?' : ''}) calls
      group by grouping sets ((start), ())`,
    [stepMs, stepMs, tenantId, first, new Date(last + stepMs), ...(serverId ? [serverId] : [])],
  );
  const empty: BucketRow = { start: null, calls: 0, errors: 0, p50: null, p95: null };
  const byStart = new Map(rows.filter((row) => row.start !== null).map((row) => [new Date(row.start!).getTime(), row]));
  const buckets = Array.from({ length: count }, (_, i) => {
    const start = first.getTime() + i * stepMs;
    return toBucket(byStart.get(start) ?? empty, new Date(start));
  });
  return { total: toBucket(rows.find((row) => row.start === null) ?? empty, first), buckets };
}

/** Most used tools and most active people shown. */
const TOP = 5;

/**
 * Tool calls, errors and latency over the last 24 hours (hourly) and 7 days (daily), for the tenant
 * or one of its servers; with `withTops`, the most used tools and the most active people of the week.
 */
export async function usage(em: EntityManager, tenantId: string, { serverId, now, withTops }: { serverId?: string; now: Date; withTops: boolean }): Promise<Usage> {
  const [day, week] = await Promise.all([usageWindow(em, tenantId, serverId, now, HOUR_MS, 24), usageWindow(em, tenantId, serverId, now, DAY_MS, 7)]);
  if (!withTops) return { day, week, topTools: null, topPeople: null };
  const since = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - 6 * DAY_MS);
  const server = serverId ? ' and e.target_id = ?' : '';
  const scope = [tenantId, since, ...(serverId ? [serverId] : [])];
  const [tools, people] = await Promise.all([
    em.execute<{ server_id: string | null; server: string | null; tool: string; calls: string; errors: string }[]>(
      `select e.target_id as server_id, e.details->>'server' as server, e.details->>'tool' as tool,
              count(*) as calls, count(*) filter (where e.outcome in ${ERROR_OUTCOMES}) as errors
         from audit_events e
        where e.tenant_id = ? and e.action = 'tool.called' and e.at >= ? and e.outcome <> 'refused'${server}
        group by 1, 2, 3 order by calls desc, tool limit ${TOP}`,
      scope,
    ),
    em.execute<{ user_id: string; name: string; email: string; calls: string }[]>(
      `select e.actor_user_id as user_id, coalesce(p.display_name, u.name) as name, u.email, count(*) as calls
         from audit_events e
         join users u on u.id = e.actor_user_id
         left join user_profiles p on p.user_id = e.actor_user_id
        where e.tenant_id = ? and e.action = 'tool.called' and e.at >= ?${server}
        group by 1, 2, 3 order by calls desc, name limit ${TOP}`,
      scope,
    ),
  ]);
  return {
    day,
    week,
    topTools: tools.map((row) => ({ serverId: row.server_id, server: row.server ?? '', tool: row.tool, calls: Number(row.calls), errors: Number(row.errors) })),
    topPeople: people.map((row) => ({ userId: row.user_id, name: row.name, email: row.email, calls: Number(row.calls) })),
  };
}

/** Events older than `days` before `now`, up to `limit` of them, deleted: the clean-up job's retention. */
export async function deleteOldAuditEvents(tx: EntityManager, now: Date, days: number, limit: number): Promise<number> {
  // The append-only trigger lets this transaction, and no other, delete.
  await tx.execute(`set local mreg.audit_retention = 'on'`);
  const deleted = await tx.execute<{ id: string }[]>(
    `delete from audit_events where id in (
       select id from audit_events where at < ? order by at limit ? for update skip locked
     ) returning id`,
    [new Date(now.getTime() - days * DAY_MS), limit],
  );
  return deleted.length;
}
