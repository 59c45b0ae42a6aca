import type { EntityManager } from '@mikro-orm/postgresql';

/** A credential's last_used_at is written at most this often. */
export const LAST_USED_WRITE_MS = 60_000;

/**
 * Records when credentials of `table` (API keys, OAuth grants) were last used, at most once a
 * minute per credential from this process; the statement keeps it to once a minute whatever the
 * instances. Not awaited: a request does not wait for its bookkeeping, and a failure here costs only
 * the timestamp.
 *
 * With `onFirstUse`, the write that takes last_used_at from null (one statement decides, whatever
 * the instances and requests at once) runs it in the same transaction: what it records of the first
 * use commits with the timestamp, exactly once. Only a credential this process has not written yet
 * can be in its first use, so that costs the others nothing.
 */
export function lastUseRecorder(
  table: 'api_keys' | 'oauth_grants',
  onFirstUse?: (tx: EntityManager, id: string) => Promise<void>,
): (em: EntityManager, id: string, now: number) => Promise<void> {
  const written = new Map<string, number>();
  const later = (em: EntityManager, id: string, now: number) =>
    em.execute(`update ${table} set last_used_at = ? where id = ? and (last_used_at is null or last_used_at <= ?)`, [new Date(now), id, new Date(now - LAST_USED_WRITE_MS)]);
  const firstOrLater = (em: EntityManager, id: string, now: number, firstUse: NonNullable<typeof onFirstUse>) =>
    em.transactional(async (tx) => {
      const first = await tx.execute<{ id: string }[]>(`update ${table} set last_used_at = ? where id = ? and last_used_at is null returning id`, [new Date(now), id]);
      if (first.length > 0) await firstUse(tx, id);
      else await later(tx, id, now);
    });
  // Resolves once written (or skipped, or failed): for tests; requests do not wait for it.
  return async (em, id, now) => {
    const at = written.get(id);
    if (at !== undefined && now - at < LAST_USED_WRITE_MS) return;
    written.set(id, now);
    if (written.size > 10_000) written.delete(written.keys().next().value!);
    const fork = em.fork();
    try {
      await (at === undefined && onFirstUse ? firstOrLater(fork, id, now, onFirstUse) : later(fork, id, now));
    } catch {
      written.delete(id);
    }
  };
}
