import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * What the clean-up job deletes of OAuth (issue 20), a batch at a time under its lock: consent
 * requests past their 10 minutes, codes and tokens past their expiry (used ones are kept until then,
 * for reuse detection), grants that can do nothing more (revoked, or with no live code or refresh
 * token) an hour on, registrations no one approved within a day, and approved clients left with no
 * grant for 90 days (a client with no grant and no pending request). Each answers how many rows it deleted.
 */

const HOUR_MS = 3_600_000;
/** A client that registered and was never approved is deleted after this long. */
export const ABANDONED_CLIENT_MS = 24 * HOUR_MS;
/** An approved client with no grant left is deleted after this long without an approval (past any refresh token's life). */
export const IDLE_CLIENT_MS = 90 * 24 * HOUR_MS;

type Job = (tx: EntityManager, now: Date, limit: number) => Promise<number>;

const deleting = (table: string, key: string, condition: string, params: (now: Date) => unknown[]): Job => async (tx, now, limit) => {
  const rows = await tx.execute<unknown[]>(
    `delete from ${table} where ${key} in (select ${key} from ${table} x where ${condition} limit ? for update skip locked) returning ${key}`,
    [...params(now), limit],
  );
  return rows.length;
};

export const oauthCleanupJobs: Job[] = [
  deleting('oauth_requests', 'id_hash', 'x.expires_at <= ?', (now) => [now]),
  deleting('oauth_codes', 'code_hash', 'x.expires_at <= ?', (now) => [now]),
  deleting('oauth_tokens', 'id', 'x.expires_at <= ?', (now) => [now]),
  deleting(
    'oauth_grants',
    'id',
    `(x.revoked_at is not null and x.revoked_at <= ?)
      or (x.approved_at <= ?
          and not exists (select 1 from oauth_tokens t where t.grant_id = x.id and t.kind = 'refresh' and t.expires_at > ? and t.used_at is null and t.revoked_at is null)
          and not exists (select 1 from oauth_codes c where c.grant_id = x.id and c.expires_at > ?))`,
    (now) => {
      const hourAgo = new Date(now.getTime() - HOUR_MS);
      return [hourAgo, hourAgo, now, now];
    },
  ),
  deleting(
    'oauth_clients',
    'id',
    `((x.approved_at is null and x.created_at <= ?) or x.approved_at <= ?)
      and not exists (select 1 from oauth_grants g where g.client_id = x.id)
      and not exists (select 1 from oauth_requests r where r.client_id = x.id)`,
    (now) => [new Date(now.getTime() - ABANDONED_CLIENT_MS), new Date(now.getTime() - IDLE_CLIENT_MS)],
  ),
];
