import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantContext } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { publishInvalidation } from '../../cache/invalidation';
import { bury } from '../../cache/read-through';
import { resolveTenantContext } from '../tenants/tenant-context';
import type { ApiKeyDeps, KeyCheck, KeyRefusal } from './apikeys.service';
import type { BearerCaller } from './caller';

/**
 * What every bearer credential MREG issues (API keys, OAuth access tokens) is checked by, and
 * forgotten with: looked up by the SHA-256 of its secret in this process's memory (the gateway's
 * verified callers), then the cache, then the database; then its owner's standing in its tenant.
 */

/** What a credential's lookup answers: facts that never change, but revocation (which buries the cached copy). */
export interface CredentialRecord {
  userId: string;
  tenantId: string;
  /** Epoch ms, or null for one that does not expire. */
  expiresAt: number | null;
  revoked: boolean;
}

export interface CredentialKind<R extends CredentialRecord> {
  /** Reads the record through the cache (or the database alone without one). */
  lookup(hash: string, now: number): Promise<R | null>;
  /** Notes that the credential (by `usageId`) was used now. */
  noteUse(em: EntityManager, id: string, now: number): void;
  usageId(record: R): string;
  /** The caller it acts for, given its owner's standing. */
  caller(record: R, tenant: TenantContext): BearerCaller;
  /** The refusals in words. */
  words: { unknown: string; expired: string; notMember: string };
}

/** The caller `hash`'s credential acts for, or why it is refused (unknown and revoked alike, saying nothing of which exist). */
export async function checkCredential<R extends CredentialRecord>(deps: ApiKeyDeps, hash: string, kind: CredentialKind<R>): Promise<KeyCheck> {
  const refused = (reason: KeyRefusal['reason'], message: string): KeyRefusal => ({ ok: false, reason, message });
  const { em, clock } = deps;
  // What the invalidation channel has said so far: a lookup it overtook keeps nothing.
  const mark = deps.local?.mark();
  const kept = deps.local?.get(hash, clock().getTime());
  if (kept) {
    kind.noteUse(em, kept.credential.id, clock().getTime());
    return { ok: true, caller: kept };
  }
  const now = clock().getTime();
  const record = await kind.lookup(hash, now);
  if (!record || record.revoked) return refused('unknown', kind.words.unknown);
  if (record.expiresAt !== null && record.expiresAt <= now) return refused('expired', kind.words.expired);
  const tenant = await resolveTenantContext({ em, cache: deps.tenantCache }, record.userId, record.tenantId);
  if (!tenant) return refused('not_member', kind.words.notMember);
  kind.noteUse(em, kind.usageId(record), now);
  const caller = kind.caller(record, tenant);
  if (deps.tenantCache && mark !== undefined) deps.local?.keep(hash, caller, record.expiresAt, now, mark);
  return { ok: true, caller };
}

/**
 * Every instance refuses these revoked credentials from now on: a tombstone over each cached copy
 * (`cacheKey`), outliving any copy filled before it (`ttlSeconds`), and the invalidation message
 * that drops them from every process's memory.
 */
export async function forgetCredentials(cache: Cache, hashes: readonly string[], cacheKey: (hash: string) => string, ttlSeconds: number): Promise<void> {
  if (hashes.length === 0) return;
  await bury(cache, hashes.map(cacheKey), ttlSeconds);
  await Promise.all(hashes.map((hash) => publishInvalidation(cache, { kind: 'credential', hash })));
}
