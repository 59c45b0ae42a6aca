import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock';
import { McpServer, McpServerHealth } from './registry.entity';
import { audit } from '../audit/audit.writer';

/**
 * Server health: what a check (a ping, or a discovery) records, and the loop that checks each
 * enabled server once per interval across all instances.
 *
 * There is no coordinator: an instance claims the servers that are due by moving their
 * `next_check_at` a lease ahead in one statement (`for update skip locked`), so no other instance
 * takes them, then checks them and sets the next time. An instance that dies mid-check leaves its
 * claims to expire at the lease's end, when another takes them: the loop never stops with it.
 */

export type CheckResult = { ok: true; latencyMs: number } | { ok: false; error: string };

/** Longest error kept (the column's). */
const ERROR_MAX_LENGTH = 1000;

/**
 * Records one check: a success makes the server healthy at once; failures count, and make it
 * unhealthy once `unhealthyAfter` come in a row. A server removed meanwhile is no error.
 */
export async function recordCheck(
  em: EntityManager,
  serverId: string,
  result: CheckResult,
  { now, unhealthyAfter }: { now: Date; unhealthyAfter: number },
): Promise<void> {
  try {
    await em.transactional(async (tx) => {
      // The status before, locked: of two checks recording at once, one sees the other's outcome,
      // so that a server going unhealthy or recovering is recorded once.
      const [before] = await tx.execute<{ status: string; tenant_id: string; name: string }[]>(
        `select h.status, s.tenant_id, s.name from mcp_servers s join mcp_server_health h on h.server_id = s.id where s.id = ? for update of h`,
        [serverId],
      );
      const [after] = result.ok
        ? await tx.execute<{ status: string }[]>(
            `insert into mcp_server_health (server_id, status, last_checked_at, last_success_at, last_error, consecutive_failures, latency_ms)
             values (?, 'healthy', ?, ?, null, 0, ?)
             on conflict (server_id) do update set status = 'healthy', last_checked_at = excluded.last_checked_at,
               last_success_at = excluded.last_success_at, last_error = null, consecutive_failures = 0, latency_ms = excluded.latency_ms
             returning status`,
            [serverId, now, now, Math.round(result.latencyMs)],
          )
        : await tx.execute<{ status: string }[]>(
            `insert into mcp_server_health (server_id, status, last_checked_at, last_error, consecutive_failures)
             values (?, case when 1 >= ? then 'unhealthy' else 'unknown' end, ?, ?, 1)
             on conflict (server_id) do update set
               consecutive_failures = mcp_server_health.consecutive_failures + 1,
               status = case when mcp_server_health.consecutive_failures + 1 >= ? then 'unhealthy' else mcp_server_health.status end,
               last_checked_at = excluded.last_checked_at, last_error = excluded.last_error
             returning status`,
            [serverId, unhealthyAfter, now, result.error.slice(0, ERROR_MAX_LENGTH), unhealthyAfter],
          );
      if (!before || !after || before.status === after.status) return;
      const action = after.status === 'unhealthy' ? 'server.unhealthy' : before.status === 'unhealthy' && after.status === 'healthy' ? 'server.recovered' : null;
      if (!action) return;
      await audit(tx, {
        action,
        tenantId: before.tenant_id,
        actor: { kind: 'system' },
        target: { kind: 'server', id: serverId, label: before.name },
        outcome: action === 'server.unhealthy' ? 'failure' : 'success',
        details: result.ok ? { latencyMs: Math.round(result.latencyMs) } : { error: result.error.slice(0, 500) },
      });
    });
  } catch (error) {
    if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
  }
}

export interface HealthLoopOptions {
  em: EntityManager;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /** A catalogue older than this is discovered again instead of pinged. */
  catalogueTtlMs: number;
  /**
   * Checks one claimed server: a ping, or a discovery when its catalogue is stale; records the
   * outcome itself (recordCheck) and answers it.
   */
  check(serverId: string, kind: 'ping' | 'discover'): Promise<CheckResult>;
  /** Servers checked at once by this instance. */
  concurrency?: number;
  /**
   * How often this instance looks for due servers: by default 5 s, or a fifth of a shorter interval
   * (at least 1 s), so that a check comes at most that late.
   */
  tickMs?: number;
  /** Failures in a row after which a server is unhealthy: backoff starts there. */
  unhealthyAfter: number;
}

export interface HealthLoop {
  /** Claims and checks the servers due now; answers how many it checked. */
  runOnce(): Promise<number>;
  /** Runs a round soon unless one is running: for events (list_changed) rather than the timer. */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * The next check after one that failed `failures` times in a row: the interval, doubled per failure
 * once the server is unhealthy (`unhealthyAfter`), at most 16 times.
 */
export function nextCheckDelay(intervalMs: number, failures: number, unhealthyAfter: number, random = Math.random): number {
  const backoff = 2 ** Math.min(Math.max(failures - unhealthyAfter, 0), 4);
  // ±10% jitter, so that servers added together do not stay in step.
  return Math.round(intervalMs * backoff * (0.9 + 0.2 * random()));
}

export function startHealthLoop(options: HealthLoopOptions): HealthLoop {
  const { em: rootEm, clock, intervalMs, catalogueTtlMs, check, concurrency = 4, unhealthyAfter } = options;
  const log = options.logger.child({ component: 'registry-health' });
  const tickMs = Math.min(options.tickMs ?? Math.min(5000, Math.max(1000, intervalMs / 5)), intervalMs);
  // A claim outlives any check (bounded by the upstream module's own timeouts, 40 s at most): each
  // round claims only as many servers as it checks at once, so none waits behind another's.
  const leaseMs = Math.max(intervalMs, 120_000);
  let stopped = false;

  const claim = async (): Promise<{ id: string; kind: 'ping' | 'discover' }[]> => {
    const now = clock();
    const rows = await rootEm.fork().execute<{ server_id: string; stale: boolean }[]>(
      `update mcp_server_health h set next_check_at = ?
         from (select h2.server_id
                 from mcp_server_health h2 join mcp_servers s on s.id = h2.server_id
                where s.enabled and h2.next_check_at <= ?
                order by h2.next_check_at
                limit ? for update of h2 skip locked) due
        where h.server_id = due.server_id
        returning h.server_id,
          coalesce((select c.fetched_at < ? from mcp_server_catalogues c where c.server_id = h.server_id), true) as stale`,
      [new Date(now.getTime() + leaseMs), now, concurrency, new Date(now.getTime() - catalogueTtlMs)],
    );
    return rows.map((row) => ({ id: row.server_id, kind: row.stale ? 'discover' : 'ping' }));
  };

  const reschedule = async (serverId: string) => {
    const em = rootEm.fork();
    const health = await em.findOne(McpServerHealth, { server: serverId });
    if (!health) return;
    health.nextCheckAt = new Date(clock().getTime() + nextCheckDelay(intervalMs, health.consecutiveFailures, unhealthyAfter));
    await em.flush();
  };

  const runOnce = async (): Promise<number> => {
    if (stopped) return 0;
    const due = await claim();
    let next = 0;
    const worker = async () => {
      // Once stopped, no claimed server is started: its lease hands it to another instance.
      while (next < due.length && !stopped) {
        const { id, kind } = due[next++]!;
        try {
          const result = await check(id, kind);
          if (!result.ok) log.info({ serverId: id, kind, error: result.error }, 'MCP server check failed');
        } catch (error) {
          log.error({ err: error, serverId: id }, 'MCP server check could not run');
        }
        await reschedule(id).catch((error: unknown) => log.error({ err: error, serverId: id }, 'Could not schedule the next check'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    return due.length;
  };

  let running: Promise<unknown> | undefined;
  const kick = () => {
    if (stopped) return;
    running ??= runOnce()
      .catch((error: unknown) => log.error({ err: error }, 'The registry health loop failed; it tries again'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(kick, tickMs);
  timer.unref();

  return {
    runOnce,
    kick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Makes a server due for a discovery at the next tick of any instance (an upstream said its lists changed). */
export async function markCatalogueStale(em: EntityManager, serverId: string, now: Date): Promise<void> {
  await em.execute(`update mcp_server_catalogues set fetched_at = 'epoch' where server_id = ?`, [serverId]);
  await em.nativeUpdate(McpServerHealth, { server: serverId }, { nextCheckAt: now });
}

/** Enabled servers, for the list_changed watchers. */
export async function enabledServers(em: EntityManager) {
  return em.find(McpServer, { enabled: true }, { fields: ['id', 'url', 'authKind', 'authHeaderName', 'updatedAt'] });
}
