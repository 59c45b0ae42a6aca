import type { EntityManager } from '@mikro-orm/postgresql';

/** A credential's last_used_at is written at most this often. */
export const LAST_USED_WRITE_MS = 60_000;

/**
 * Records when credentials of `table` (API keys, OAuth grants) were last used, at most once a
 * minute per credential from this process; the statement keeps it to once a minute whatever the
 * instances. Not awaited: a request does not wait for its bookkeeping, and a failure here costs only
 * the timestamp.
 */
export function lastUseRecorder(table: 'api_keys' | 'oauth_grants'): (em: EntityManager, id: string, now: number) => void {
  const written = new Map<string, number>();
  return (em, id, now) => {
    const at = written.get(id);
    if (at !== undefined && now - at < LAST_USED_WRITE_MS) return;
    written.set(id, now);
    if (written.size > 10_000) written.delete(written.keys().next().value!);
    em.fork()
      .execute(`update ${table} set last_used_at = ? where id = ? and (last_used_at is null or last_used_at <= ?)`, [new Date(now), id, new Date(now - LAST_USED_WRITE_MS)])
      .catch(() => written.delete(id));
  };
}
