import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock';
import { INSTANCE_ID } from '../../lib/instance';
import type { SessionLifetime } from './sessions.lifetime';
import { deleteEndedSessions } from './sessions.store';
import { deleteExpiredSignInRequests } from './sign-in.service';
import { oauthCleanupJobs } from '../oauth/oauth.cleanup';
import { deleteOldInvitations } from '../invitations/invitations.service';
import { deleteOldAuditEvents } from '../audit/audit.service';

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
  /** OAuth records (issue 20): expired consent requests, codes and tokens, dead grants, abandoned registrations. */
  oauth: number;
  /** Invitations answered, revoked or expired more than 30 days ago. */
  invitations: number;
  /** Audit events older than MREG_AUDIT_RETENTION_DAYS. */
  auditEvents: number;
  /** True when another instance held the lock, so this one stopped. */
  skipped: boolean;
}

/**
 * One batch in one short transaction: take the lock (or give up at once), then `remove` up to a
 * batch of dead rows that no other transaction has locked. Returns null when the lock was taken elsewhere.
 */
async function deleteBatch(em: EntityManager, remove: (tx: EntityManager) => Promise<number>): Promise<number | null> {
  return em.transactional(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?, ?) as locked', [...CLEANUP_LOCK]);
    if (!lock?.locked) return null;
    return remove(tx);
  });
}

/** Deletes dead sessions, expired sign-in requests, dead OAuth records, old invitations and audit events, batch after batch, until none is left. */
export async function cleanupSessions(
  em: EntityManager,
  { now, lifetime, auditRetentionDays, batchSize = CLEANUP_BATCH_SIZE }: { now: Date; lifetime: SessionLifetime; auditRetentionDays: number; batchSize?: number },
): Promise<CleanupResult> {
  const result: CleanupResult = { sessions: 0, signInRequests: 0, oauth: 0, invitations: 0, auditEvents: 0, skipped: false };
  const jobs = [
    // Revoked, expired, past their absolute lifetime or idle too long: the session store's rule.
    { remove: (tx: EntityManager) => deleteEndedSessions(tx, now, lifetime, batchSize), count: (n: number) => (result.sessions += n) },
    { remove: (tx: EntityManager) => deleteExpiredSignInRequests(tx, now, batchSize), count: (n: number) => (result.signInRequests += n) },
    ...oauthCleanupJobs.map((job) => ({ remove: (tx: EntityManager) => job(tx, now, batchSize), count: (n: number) => (result.oauth += n) })),
    { remove: (tx: EntityManager) => deleteOldInvitations(tx, now, batchSize), count: (n: number) => (result.invitations += n) },
    { remove: (tx: EntityManager) => deleteOldAuditEvents(tx, now, auditRetentionDays, batchSize), count: (n: number) => (result.auditEvents += n) },
  ];
  for (const job of jobs) {
    for (;;) {
      const deleted = await deleteBatch(em.fork(), job.remove);
      if (deleted === null) return { ...result, skipped: true };
      job.count(deleted);
      if (deleted < batchSize) break;
    }
  }
  return result;
}

export interface CleanupSchedule {
  /** Runs a clean-up now (unless one is running in this process) and reports it. */
  runNow(now?: Date): Promise<CleanupResult | null>;
  stop(): Promise<void>;
}

/** The clean-up's row in scheduled_runs. */
export const CLEANUP_JOB = 'cleanup';
/** Logged (info) after each run, with its counts and `startedAt`, the time it was claimed. */
export const CLEANUP_RAN = 'Clean-up ran: ended sessions, expired sign-ins, dead OAuth records, old invitations and audit events deleted';
/** How often an instance asks whether the clean-up is due: a survivor takes over within this of the due time. */
const CLAIM_TICK_MS = 60_000;

/**
 * Claims this interval's run of `job` for this instance: moves its next run an interval ahead when
 * it is due, in one statement, so that of all the instances sharing the database exactly one gets
 * true per interval (a concurrent claim waits on the row, then finds it in the future).
 */
export async function claimScheduledRun(em: EntityManager, job: string, { now, intervalMs, instance }: { now: Date; intervalMs: number; instance: string }): Promise<boolean> {
  const rows = await em.execute<{ job: string }[]>(
    `insert into scheduled_runs (job, next_run_at, last_run_at, last_instance) values (?, ?, ?, ?)
     on conflict (job) do update set next_run_at = excluded.next_run_at, last_run_at = excluded.last_run_at, last_instance = excluded.last_instance
       where scheduled_runs.next_run_at <= ?
     returning job`,
    [job, new Date(now.getTime() + intervalMs), now, instance, now],
  );
  return rows.length > 0;
}

/**
 * Runs the clean-up once per `intervalSeconds` across every instance on the database: each instance
 * asks every minute (or every interval, when shorter) whether the run is due, and the one whose claim
 * succeeds runs it; if that instance dies, the next due run goes to whichever asks first. A failure
 * is logged and the next interval tries again.
 */
export function scheduleSessionCleanup(options: {
  em: EntityManager;
  clock: Clock;
  lifetime: SessionLifetime;
  auditRetentionDays: number;
  intervalSeconds: number;
  logger: Logger;
}): CleanupSchedule {
  const log = options.logger.child({ component: 'session-cleanup' });
  const intervalMs = options.intervalSeconds * 1000;
  let running: Promise<CleanupResult | null> | undefined;
  const runNow = (now = options.clock()) => {
    running ??= cleanupSessions(options.em, { now, lifetime: options.lifetime, auditRetentionDays: options.auditRetentionDays })
      .then(
        (result) => {
          if (result.skipped) log.debug('Another instance is cleaning up sessions; skipped');
          else log.info({ ...result, startedAt: now.toISOString() }, CLEANUP_RAN);
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
  let ticking: Promise<unknown> | undefined;
  const tick = () => {
    const now = options.clock();
    ticking ??= claimScheduledRun(options.em.fork(), CLEANUP_JOB, { now, intervalMs, instance: INSTANCE_ID })
      .then((claimed) => (claimed ? runNow(now) : undefined))
      .catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Could not claim the clean-up run; asking again at the next tick'))
      .finally(() => (ticking = undefined));
  };
  const timer = setInterval(tick, Math.min(intervalMs, CLAIM_TICK_MS));
  timer.unref();
  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await ticking;
      await running;
    },
  };
}
