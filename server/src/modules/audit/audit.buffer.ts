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
    durationMs: call.durationMs,
    details: { tool: call.tool, server: call.serverSlug, ...(call.via ? { via: call.via } : {}) },
    at: call.at,
  });
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
  let pending: AuditRow[] = [];
  let flushing: Promise<void> | undefined;
  let failing = false;

  const writeOut = async () => {
    while (pending.length > 0) {
      const batch = pending.slice(0, AUDIT_FLUSH_BATCH);
      try {
        await auditMany(em.fork(), batch);
      } catch (error) {
        metrics?.auditFlushFailed();
        if (!failing) log.error({ err: error instanceof Error ? error.message : String(error), pending: pending.length }, 'Could not write tool-call audit events; keeping them to try again');
        failing = true;
        return;
      }
      if (failing) log.info({ pending: pending.length }, 'Writing tool-call audit events again');
      failing = false;
      pending = pending.slice(batch.length);
      metrics?.auditWritten('tool_call', batch.length);
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
      pending.push(toolCallRow(call));
      if (pending.length > limit) {
        const dropped = pending.length - limit;
        pending = pending.slice(dropped);
        metrics?.auditDropped(dropped);
      }
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
      await flushing;
      await flush();
      if (pending.length > 0) log.error({ lost: pending.length }, 'Tool-call audit events could not be written before shutdown');
    },
  };
}
