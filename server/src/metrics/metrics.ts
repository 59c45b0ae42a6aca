import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Cache } from '../cache/cache';
import type { Database } from '../db/database';
import { SIGN_IN_FAILURES, type SignInFailure } from '../identity/errors';
import type { Clock } from '../lib/clock';
import { withTimeout } from '../lib/timeout';
import { countLiveSessions, type SessionMetrics } from '../modules/sessions/sessions.store';
import type { Settings } from '../config';

/**
 * The app's Prometheus metrics (prom-client): one registry per app, so that two apps in one process
 * (the tests) count apart; the process metrics (memory, event loop, GC) once per process, since
 * they describe the process whichever app serves them. Every label takes values from a fixed set.
 */

/** Seconds: from half a millisecond (a cached session read) to two seconds (a slow sign-in). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];
/** A scrape never waits longer than this for the database's count of sessions. */
export const SCRAPE_QUERY_TIMEOUT_MS = 1000;

/** How an MCP request ended: answered, an MCP error, refused (auth, permission, rate limit), cancelled, timed out. */
export type McpOutcome = 'ok' | 'error' | 'refused' | 'cancelled' | 'timeout';

/** The MCP methods counted by name; any other is `other`, so that clients cannot grow the label set. */
const MCP_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'notifications/initialized',
  'notifications/cancelled',
]);

/** Audit events: security events (written with their change) or tool calls (batched). */
export type AuditKind = 'security' | 'tool_call';

/** Sign-in failures: SIGN_IN_FAILURES' reasons, and a fault of our own. */
export type SignInFailureReason = SignInFailure | 'internal_error';

export interface Metrics extends SessionMetrics {
  /** A finished HTTP request; `route` is the Express route pattern or a fixed name, never the URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** A finished tRPC procedure; `code` is OK or the tRPC error code. */
  trpcCall(procedure: string, type: string, code: string, seconds: number): void;
  signIn(): void;
  signInFailed(reason: SignInFailureReason): void;
  /** A check of a registered MCP server: a discovery or a ping, and whether it succeeded. */
  registryCheck(serverId: string, kind: 'discover' | 'ping', ok: boolean, seconds: number): void;
  /** A request through /mcp/<slug>, by HTTP method (GET, POST, DELETE or other) and what came of it. */
  passThrough(method: string, outcome: PassThroughOutcome): void;
  /** Time from sending a request through /mcp/<slug> to the upstream's answer headers (a stream's length not counted). */
  passThroughUpstream(method: string, seconds: number): void;
  /** An MCP request (or notification) to /mcp, by JSON-RPC method (unknown ones as `other`) and outcome. */
  mcpRequest(method: string, outcome: McpOutcome): void;
  /** A tools/call routed to an upstream: by server id and outcome, with the upstream's time. */
  toolCall(serverId: string, outcome: McpOutcome, seconds: number): void;
  /** Audit events written: security events in their change's transaction, tool calls by the buffer. */
  auditWritten(kind: AuditKind, count: number): void;
  /** Tool-call events waiting in this process's buffer. */
  auditBufferDepth(depth: number): void;
  /** A flush of the tool-call buffer that failed (the events stay buffered, up to its bound). */
  auditFlushFailed(): void;
  /** Tool-call events dropped because the buffer was full while the database could not take them. */
  auditDropped(count: number): void;
  /** The text exposition of every metric, the process's included. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

/**
 * What came of a request through /mcp/<slug>: forwarded and answered by the upstream (whatever its
 * status), refused by MREG before it left, or the upstream failing MREG.
 */
export const PASS_THROUGH_OUTCOMES = [
  'forwarded',
  'not_found',
  'forbidden',
  'session_refused',
  'bad_request',
  'too_large',
  'upstream_unreachable',
  'upstream_timeout',
  'upstream_refused',
  'answer_too_large',
  'client_gone',
  /** MREG's own failure (the database down, say), answered by the app's error handlers. */
  'error',
] as const;
export type PassThroughOutcome = (typeof PASS_THROUGH_OUTCOMES)[number];
const PASS_THROUGH_METHODS = ['GET', 'POST', 'DELETE', 'other'] as const;
const passThroughMethod = (method: string) => ((PASS_THROUGH_METHODS as readonly string[]).includes(method) ? method : 'other');

let processRegistry: Registry | undefined;

/** The default metrics, started once: each start would add an event-loop monitor and a GC observer. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface MetricsDeps {
  settings: Settings;
  db: Database;
  cache: Cache;
  clock: Clock;
  logger: Logger;
}

/** knex's tarn pool behind MikroORM: the same for PostgreSQL and for embedded PGlite (max 1). */
interface TarnPool {
  max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

function poolOf(db: Database): TarnPool | undefined {
  const knex = db.orm.em.getConnection().getKnex() as unknown as { client?: { pool?: TarnPool } };
  return knex.client?.pool ?? undefined;
}

export function createMetrics({ settings, db, cache, clock, logger }: MetricsDeps): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const log = logger.child({ component: 'metrics' });
  const lifetime = settings.sessionLifetime;

  const httpRequests = new Counter({
    name: 'mreg_http_requests_total',
    help: 'HTTP requests by method, Express route pattern ("unmatched" for 404s) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'mreg_http_request_duration_seconds',
    help: 'HTTP request duration by method and Express route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const trpcCalls = new Counter({
    name: 'mreg_trpc_calls_total',
    help: 'tRPC procedure calls by procedure path, type and result code (OK or the tRPC error code)',
    labelNames: ['procedure', 'type', 'code'] as const,
    registers,
  });
  const trpcDuration = new Histogram({
    name: 'mreg_trpc_call_duration_seconds',
    help: 'tRPC procedure duration (middleware, input validation and resolver) by procedure path and type',
    labelNames: ['procedure', 'type'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const sessionCache = new Counter({
    name: 'mreg_session_cache_total',
    help: 'Session lookups answered by the cache (hit) or by the database (miss)',
    labelNames: ['result'] as const,
    registers,
  });
  const signIns = new Counter({
    name: 'mreg_sign_ins_total',
    help: 'Completed sign-ins (a session was created)',
    registers,
  });
  const signInFailures = new Counter({
    name: 'mreg_sign_in_failures_total',
    help: 'Refused or failed sign-ins by reason (the reason code shown on the error page)',
    labelNames: ['reason'] as const,
    registers,
  });
  const registryChecks = new Histogram({
    name: 'mreg_registry_check_seconds',
    help: 'Checks of registered MCP servers by server id and kind (discover: initialize and every list; ping), successful or not',
    labelNames: ['server', 'kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const registryFailures = new Counter({
    name: 'mreg_registry_check_failures_total',
    help: 'Failed checks of registered MCP servers by server id and kind',
    labelNames: ['server', 'kind'] as const,
    registers,
  });
  const mcpRequests = new Counter({
    name: 'mreg_mcp_requests_total',
    help: 'MCP messages to /mcp by JSON-RPC method (other: any method MREG does not serve) and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers,
  });
  const toolCalls = new Counter({
    name: 'mreg_mcp_tool_calls_total',
    help: 'Tool calls through /mcp by server id and outcome',
    labelNames: ['server', 'outcome'] as const,
    registers,
  });
  const auditEvents = new Counter({
    name: 'mreg_audit_events_written_total',
    help: 'Audit events written: security events with their change, tool calls by the buffer',
    labelNames: ['kind'] as const,
    registers,
  });
  const auditDepth = new Gauge({ name: 'mreg_audit_buffer_depth', help: 'Tool-call audit events waiting in the buffer of this process', registers });
  const auditFlushFailures = new Counter({ name: 'mreg_audit_flush_failures_total', help: 'Failed flushes of the tool-call audit buffer', registers });
  const auditDropped = new Counter({
    name: 'mreg_audit_events_dropped_total',
    help: 'Tool-call audit events dropped because the buffer was full while the database could not take them',
    registers,
  });
  const upstreamSeconds = new Histogram({
    name: 'mreg_mcp_upstream_seconds',
    help: 'Time of tool calls at the upstream, through /mcp, by server id',
    labelNames: ['server'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  new Gauge({
    name: 'mreg_registry_servers',
    help: `Registered MCP servers by status, counted in the database at scrape time (NaN when it did not answer within ${SCRAPE_QUERY_TIMEOUT_MS} ms)`,
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const statuses = ['healthy', 'unhealthy', 'unknown', 'disabled'] as const;
      try {
        const rows = await withTimeout(
          db.orm.em.fork().execute<{ status: string; n: number }[]>(
            `select case when not s.enabled then 'disabled' else coalesce(h.status, 'unknown') end as status, count(*)::int as n
               from mcp_servers s left join mcp_server_health h on h.server_id = s.id group by 1`,
          ),
          SCRAPE_QUERY_TIMEOUT_MS,
          'The database',
        );
        for (const status of statuses) this.labels(status).set(rows.find((row) => row.status === status)?.n ?? 0);
      } catch (error) {
        for (const status of statuses) this.labels(status).set(Number.NaN);
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Metrics: registered servers not counted');
      }
    },
  });
  const passThroughs = new Counter({
    name: 'mreg_passthrough_requests_total',
    help: 'Requests through /mcp/<slug> by HTTP method and outcome (forwarded, refused by MREG, or failed upstream); no per-server label',
    labelNames: ['method', 'outcome'] as const,
    registers,
  });
  const passThroughUpstream = new Histogram({
    name: 'mreg_passthrough_upstream_seconds',
    help: 'Time from a request through /mcp/<slug> leaving MREG to the upstream answer headers, by HTTP method',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  // Every value from the start, so that rate() sees the first one.
  for (const result of ['hit', 'miss'] as const) sessionCache.labels(result).inc(0);
  for (const reason of [...(Object.keys(SIGN_IN_FAILURES) as SignInFailure[]), 'internal_error'] as const) {
    signInFailures.labels(reason).inc(0);
  }

  new Gauge({
    name: 'mreg_active_sessions',
    help: `Sessions not revoked, expired or idle, counted in the database at scrape time (NaN when it did not answer within ${SCRAPE_QUERY_TIMEOUT_MS} ms)`,
    registers,
    async collect() {
      try {
        this.set(await withTimeout(countLiveSessions(db.orm.em.fork(), clock(), lifetime), SCRAPE_QUERY_TIMEOUT_MS, 'The database'));
      } catch (error) {
        // NaN rather than 0: "unknown" must not read as "nobody signed in".
        this.set(Number.NaN);
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Metrics: live sessions not counted');
      }
    },
  });
  new Gauge({
    name: 'mreg_db_pool_connections',
    help: 'Database pool connections: used, free, and pending (requests waiting for one); embedded PGlite has a pool of one',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const pool = poolOf(db);
      if (!pool) return;
      this.labels('used').set(pool.numUsed());
      this.labels('free').set(pool.numFree());
      this.labels('pending').set(pool.numPendingAcquires());
    },
  });
  new Gauge({
    name: 'mreg_db_pool_max',
    help: 'Largest number of database connections the pool opens',
    registers,
    collect() {
      const pool = poolOf(db);
      if (pool) this.set(pool.max);
    },
  });
  new Gauge({
    name: 'mreg_cache_up',
    help: 'Whether the cache answers: 1 or 0 for Redis (connection ready); always 1 for the in-process cache (kind="memory")',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.labels(cache.kind).set(cache.available ? 1 : 0);
    },
  });

  const processes = processMetrics();
  return {
    httpRequest(method, route, status, seconds) {
      httpRequests.labels(method, route, String(status)).inc();
      httpDuration.labels(method, route).observe(seconds);
    },
    trpcCall(procedure, type, code, seconds) {
      trpcCalls.labels(procedure, type, code).inc();
      trpcDuration.labels(procedure, type).observe(seconds);
    },
    sessionCache(result) {
      sessionCache.labels(result).inc();
    },
    signIn() {
      signIns.inc();
    },
    signInFailed(reason) {
      signInFailures.labels(reason).inc();
    },
    registryCheck(serverId, kind, ok, seconds) {
      registryChecks.labels(serverId, kind).observe(seconds);
      if (!ok) registryFailures.labels(serverId, kind).inc();
    },
    passThrough(method, outcome) {
      passThroughs.labels(passThroughMethod(method), outcome).inc();
    },
    passThroughUpstream(method, seconds) {
      passThroughUpstream.labels(passThroughMethod(method)).observe(seconds);
    },
    mcpRequest(method, outcome) {
      mcpRequests.labels(MCP_METHODS.has(method) ? method : 'other', outcome).inc();
    },
    toolCall(serverId, outcome, seconds) {
      toolCalls.labels(serverId, outcome).inc();
      upstreamSeconds.labels(serverId).observe(seconds);
    },
    auditWritten(kind, count) {
      auditEvents.labels(kind).inc(count);
    },
    auditBufferDepth(depth) {
      auditDepth.set(depth);
    },
    auditFlushFailed() {
      auditFlushFailures.inc();
    },
    auditDropped(count) {
      auditDropped.inc(count);
    },
    async scrape() {
      // Both registries use the Prometheus text format: their texts simply follow each other.
      const [own, process] = await Promise.all([registry.metrics(), processes.metrics()]);
      return `${own}\n${process}`;
    },
    contentType: registry.contentType,
  };
}
