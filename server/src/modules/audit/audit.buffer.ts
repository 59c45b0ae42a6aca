import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AuditOutcome } from '@mreg/shared';
import type { McpOutcome, Metrics } from '../../metrics/metrics';
import type { ToolCallRecord, ToolCallRecorder } from '../gateway/tool-calls';
import { auditMany, auditRow, bearerActor, type AuditRow } from './audit.writer';

/**
 * Tool-call events, batched: a call through /mcp must not wait on an insert. The buffer is flushed
 * every second, as soon as it holds a batch, and at shutdown, so that a crash loses at most the last
 * second of calls. While the database refuses them, events stay buffered up to a bound, past which
 * the oldest are dropped (counted) rather than letting memory grow.
 */

/** Rows per insert (17 parameters each, well under PostgreSQL's 65535). */
export const AUDIT_FLUSH_BATCH = 1000;
/** Most events held while the database does not take them. */
export const AUDIT_BUFFER_LIMIT = 20_000;
export const AUDIT_FLUSH_INTERVAL_MS = 1000;

export interface AuditBuffer extends ToolCallRecorder {
  /** Writes what is buffered now; resolves when it is written (or has failed and stays buffered). */
  flush(): Promise<void>;
  readonly depth: number;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

const OUTCOMES: Record<McpOutcome, AuditOutcome> = { ok: 'success', error: 'error', refused: 'refused', cancelled: 'cancelled', timeout: 'timeout' };

/** A tool call as an audit event: the server as the target, the tool's name and time; never arguments or results. */
export function toolCallRow(call: ToolCallRecord): AuditRow {
  return auditRow({
    action: 'tool.called',
    tenantId: call.tenantId,
    actor: bearerActor({ credential: call.credential, userId: call.userId }),
    target: call.serverId ? { kind: 'server', id: call.serverId, label: call.serverSlug } : null,
    outcome: OUTCOMES[call.outcome],
    reason: call.reason ?? null,
    durationMs: call.durationMs,
    details: { tool: call.tool, server: call.serverSlug, ...(call.via ? { via: call.via } : {}) },
    at: call.at,
  });
}

/** Whether PostgreSQL refused the statement for a value in it (data exception, integrity violation), not for being unreachable. */
function refusedForItsData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export function auditBuffer({
  em,
  logger,
  metrics,
  enabled = true,
  limit = AUDIT_BUFFER_LIMIT,
  intervalMs = AUDIT_FLUSH_INTERVAL_MS,
}: {
  em: EntityManager;
  logger: Logger;
  metrics?: Pick<Metrics, 'auditWritten' | 'auditBufferDepth' | 'auditFlushFailed' | 'auditDropped'>;
  /** False (MREG_AUDIT_TOOL_CALLS=false): tool calls are not recorded. */
  enabled?: boolean;
  limit?: number;
  intervalMs?: number;
}): AuditBuffer {
  const log = logger.child({ component: 'audit' });
  /** Waiting to be written, oldest first. */
  let pending: AuditRow[] = [];
  let flushing: Promise<void> | undefined;
  let failing = false;
  let closed = false;

  /** Past the limit, the oldest go: a tenth of the limit at once, so that a full buffer costs one copy per many calls. */
  const bound = () => {
    if (pending.length <= limit) return;
    const dropped = pending.length - limit + Math.ceil(limit / 10);
    pending = pending.slice(dropped);
    metrics?.auditDropped(dropped);
    log.warn({ dropped, limit }, 'The tool-call audit buffer is full: dropped the oldest events');
  };

  /**
   * Writes `batch`. A batch the database refuses for its data (SQLSTATE classes 22 and 23: a value
   * it cannot store) is written row by row, and only the rows it still refuses are dropped (counted):
   * one bad event must not hold back every other. Any other failure (the database is down) throws.
   */
  const write = async (batch: AuditRow[]): Promise<number> => {
    try {
      await auditMany(em.fork(), batch);
      return batch.length;
    } catch (error) {
      if (!refusedForItsData(error)) throw error;
      if (batch.length === 1) {
        metrics?.auditDropped(1);
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'Dropped a tool-call audit event the database refuses');
        return 0;
      }
      let written = 0;
      for (const row of batch) written += await write([row]);
      return written;
    }
  };

  const writeOut = async () => {
    while (pending.length > 0) {
      // Taken out while it is written: calls recorded meanwhile, and drops past the limit, touch only `pending`.
      const batch = pending.splice(0, AUDIT_FLUSH_BATCH);
      try {
        const written = await write(batch);
        metrics?.auditWritten('tool_call', written);
      } catch (error) {
        pending = batch.concat(pending);
        bound();
        metrics?.auditFlushFailed();
        metrics?.auditBufferDepth(pending.length);
        if (!failing) log.error({ err: error instanceof Error ? error.message : String(error), pending: pending.length }, 'Could not write tool-call audit events; keeping them to try again');
        failing = true;
        return;
      }
      if (failing) log.info({ pending: pending.length }, 'Writing tool-call audit events again');
      failing = false;
      metrics?.auditBufferDepth(pending.length);
    }
  };
  const flush = () =>
    (flushing ??= writeOut().finally(() => {
      flushing = undefined;
    }));

  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  return {
    record(call) {
      if (!enabled) return;
      if (closed) {
        // A call that ended after shutdown wrote the rest: it goes to the log instead.
        log.warn({ tool: call.tool, tenantId: call.tenantId }, 'A tool call ended after the audit buffer closed; not recorded');
        return;
      }
      pending.push(toolCallRow(call));
      bound();
      metrics?.auditBufferDepth(pending.length);
      if (pending.length >= AUDIT_FLUSH_BATCH && !flushing) void flush();
    },
    flush: async () => {
      // One already running may have started before the latest events: wait for it, then write the rest.
      await flushing;
      await flush();
    },
    get depth() {
      return pending.length;
    },
    async close() {
      clearInterval(timer);
      closed = true;
      await flushing;
      await flush();
      if (pending.length > 0) log.error({ lost: pending.length }, 'Tool-call audit events could not be written before shutdown');
    },
  };
}
