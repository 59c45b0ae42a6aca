import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock';
import { ACTIVITY_WRITE_INTERVAL_MS, type SessionLifetime } from './sessions.service';

/** Rows deleted per transaction: each batch holds its row locks only for a moment. */
const CLEANUP_BATCH_SIZE = 1000;
/**
 * The advisory lock (two-key form) that instances sharing a database take around each batch, so
 * that one cleans at a time: 'mreg' as a 32-bit integer, and 1 for the session clean-up.
 */
export const CLEANUP_LOCK = [0x6d726567, 1] as const;

export interface CleanupResult {
  /** Sessions deleted: revoked, expired, past their absolute lifetime or idle too long. */
  sessions: number;
  /** Sign-ins in progress that were abandoned and expired. */
  signInRequests: number;
  /** True when another instance held the lock, so this one stopped. */
  skipped: boolean;
}

/**
 * One batch in one short transaction: take the lock (or give up at once), delete up to `batchSize`
 * dead rows that no other transaction has locked. Returns null when the lock was taken elsewhere.
 */
async function deleteBatch(em: EntityManager, table: string, where: string, params: unknown[], batchSize: number): Promise<number | null> {
  return em.transactional(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?, ?) as locked', [...CLEANUP_LOCK]);
    if (!lock?.locked) return null;
    const deleted = await tx.execute<{ id: string }[]>(
      `delete from ${table} where id in (select id from ${table} where ${where} limit ? for update skip locked) returning id`,
      [...params, batchSize],
    );
    return deleted.length;
  });
}

/** Deletes dead sessions and expired sign-in requests, batch after batch, until none is left. */
export async function cleanupSessions(
  em: EntityManager,
  { now, lifetime, batchSize = CLEANUP_BATCH_SIZE }: { now: Date; lifetime: SessionLifetime; batchSize?: number },
): Promise<CleanupResult> {
  const result: CleanupResult = { sessions: 0, signInRequests: 0, skipped: false };
  const jobs = [
    {
      table: 'enhanced_sessions',
      // Expiry never moves past the absolute lifetime, so that needs no test of its own (after
      // MREG_FASTMCP_SESSION_ABSOLUTE_HOURS is lowered, such sessions are refused at once and
      // deleted at their expiry). The database's last_activity may lag the cache's by up to a write
      // interval: idle means idle beyond that too.
      where: 'revoked_at is not null or expires_at <= ? or last_activity <= ?',
      params: [now, new Date(now.getTime() - lifetime.idleMs - ACTIVITY_WRITE_INTERVAL_MS)],
      count: (n: number) => (result.sessions += n),
    },
    { table: 'sign_in_requests', where: 'expires_at <= ?', params: [now], count: (n: number) => (result.signInRequests += n) },
  ];
  for (const job of jobs) {
    for (;;) {
      const deleted = await deleteBatch(em.fork(), job.table, job.where, job.params, batchSize);
      if (deleted === null) return { ...result, skipped: true };
      job.count(deleted);
      if (deleted < batchSize) break;
    }
  }
  return result;
}

export interface CleanupSchedule {
  /** Runs a clean-up now (unless one is running in this process) and reports it. */
  runNow(): Promise<CleanupResult | null>;
  stop(): Promise<void>;
}

/** Runs the clean-up every `intervalSeconds`; a failure is logged and the next run tries again. */
export function scheduleSessionCleanup(options: {
  em: EntityManager;
  clock: Clock;
  lifetime: SessionLifetime;
  intervalSeconds: number;
  logger: Logger;
}): CleanupSchedule {
  const log = options.logger.child({ component: 'session-cleanup' });
  let running: Promise<CleanupResult | null> | undefined;
  const runNow = () => {
    running ??= cleanupSessions(options.em, { now: options.clock(), lifetime: options.lifetime })
      .then(
        (result) => {
          if (result.skipped) log.debug('Another instance is cleaning up sessions; skipped');
          else if (result.sessions + result.signInRequests > 0) log.info(result, 'Deleted ended sessions');
          return result;
        },
        (error: unknown) => {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Session clean-up failed; retrying at the next interval');
          return null;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void runNow(), options.intervalSeconds * 1000);
  timer.unref();
  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
