import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { API_KEY_PREFIX, API_KEYS_PER_TENANT, type ApiKey, type ApiKeyCreated, type CreateApiKeyInput, type TenantContext } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { fill, slotIn } from '../../cache/read-through';
import { subscribeInvalidations } from '../../cache/invalidation';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { AppError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Settings } from '../../config';
import { hashToken } from '../../lib/tokens';
import { lastUseRecorder } from '../../lib/last-used';
import { audit } from '../audit/audit.writer';
import { ApiKeyEntity, type IApiKey } from './apikeys.entity';
import type { BearerCaller } from './caller';
import { checkCredential, forgetCredentials, type CredentialKind, type CredentialRecord } from './credentials';

/**
 * API keys (issue 19): made and revoked by their owner in the active tenant; presented as
 * `Authorization: Bearer mreg_pat_<43 base64url characters>` (32 random bytes). Only the secret's
 * SHA-256 is stored. A presented key is looked up by hash in the cache, then the database; its
 * owner's standing in its tenant is read on every request (the tenant context, which every
 * membership change invalidates), so a removed or demoted member's keys follow at once. Revoking
 * puts a tombstone in the cache (every instance, with Redis) and marks the row.
 */

export interface ApiKeyDeps {
  em: EntityManager;
  /** This process's verified callers (the gateway's), when it keeps them; else every request asks the cache. */
  local?: LocalCallers;
  /** Where keys are cached; undefined: the database alone answers. */
  cache: Cache | undefined;
  /** Where tenant contexts are cached (MREG_FASTMCP_TENANT_CONTEXT_CACHING), as for sessions. */
  tenantCache: Cache | undefined;
  clock: Clock;
}

/** The deps from the app's: keys are always cached (their tombstones carry revocation); tenant contexts as the settings say. */
export function apiKeyDeps({ em, cache, clock, settings, local }: { em: EntityManager; cache: Cache; clock: Clock; settings: Settings; local?: LocalCallers }): ApiKeyDeps {
  return { em, cache, tenantCache: settings.features.offered.tenantContextCaching ? cache : undefined, clock, local };
}

/** 32 random bytes in base64url: 43 characters after the prefix. */
const SECRET_SHAPE = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);
/** How much of the secret the list shows, after the prefix. */
const HINT_CHARACTERS = 4;
/** A looked-up key stays cached this long; revocation does not wait for it (tombstone). */
const KEY_TTL_SECONDS = 15 * 60;

const keyCacheKey = (hash: string) => `api-key:${hash}`;

/** What the cache keeps of a key: facts that never change, but revocation (which buries the entry). */
interface KeyRecord extends CredentialRecord {
  id: string;
}

/** Why a presented key was refused, in words for the WWW-Authenticate description or tRPC message. */
export type KeyRefusal = { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'not_member'; message: string };
export type KeyCheck = { ok: true; caller: BearerCaller } | KeyRefusal;

export const isApiKeyShaped = (value: string): boolean => SECRET_SHAPE.test(value);

function toApiKey(row: IApiKey, now: Date): ApiKey {
  return {
    id: row.id,
    name: row.name,
    hint: row.hint,
    tenantId: row.tenant.id,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expired: row.expiresAt !== null && row.expiresAt !== undefined && row.expiresAt.getTime() <= now.getTime(),
  };
}

/** The caller's keys in the active tenant, newest first; revoked ones are gone from the list. */
export async function listApiKeys(deps: ApiKeyDeps, userId: string, tenant: TenantContext): Promise<ApiKey[]> {
  const rows = await deps.em.find(ApiKeyEntity, { user: userId, tenant: tenant.tenantId, revokedAt: null }, { orderBy: { createdAt: 'desc', id: 'asc' } });
  const now = deps.clock();
  return rows.map((row) => toApiKey(row, now));
}

/** A new key for the caller in the active tenant; its secret is in the answer and nowhere else. */
export async function createApiKey(deps: ApiKeyDeps, userId: string, tenant: TenantContext, input: CreateApiKeyInput): Promise<ApiKeyCreated> {
  const { em, clock } = deps;
  const now = clock();
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return em.transactional(async (tx) => {
    // The owner's membership row, locked, orders concurrent creations so the bound holds.
    await tx.execute(`select 1 from user_tenant_memberships where user_id = ? and tenant_id = ? for update`, [userId, tenant.tenantId]);
    const [live] = await tx.execute<{ count: string }[]>(
      `select count(*) from api_keys where user_id = ? and tenant_id = ? and revoked_at is null and (expires_at is null or expires_at > ?)`,
      [userId, tenant.tenantId, now],
    );
    if (Number(live?.count ?? 0) >= API_KEYS_PER_TENANT) {
      throw new AppError('CONFLICT', `You have ${API_KEYS_PER_TENANT} API keys in ${tenant.tenantName}, the most one may hold; revoke one first`);
    }
    const row = tx.create(ApiKeyEntity, {
      user: userId,
      tenant: tenant.tenantId,
      name: input.name,
      tokenHash: hashToken(secret),
      hint: secret.slice(0, API_KEY_PREFIX.length + HINT_CHARACTERS),
      createdAt: now,
      expiresAt: input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000),
      lastUsedAt: null,
      revokedAt: null,
    });
    await tx.flush();
    await audit(tx, {
      action: 'api_key.created',
      tenantId: tenant.tenantId,
      actor: { kind: 'user', userId },
      target: { kind: 'api_key', id: row.id, label: row.name },
      details: { expiresAt: row.expiresAt?.toISOString() ?? null },
    });
    return { apiKey: toApiKey(row, now), secret };
  });
}

/** Revokes one of the caller's keys in the active tenant: refused from the next request on, on every instance. */
export async function revokeApiKey(deps: ApiKeyDeps, userId: string, tenant: TenantContext, id: string): Promise<{ revoked: true }> {
  const { em, cache, clock } = deps;
  const tokenHash = await em.transactional(async (tx) => {
    // One statement decides: of two revocations at once, only the one that revoked it is recorded.
    const [row] = await tx.execute<{ token_hash: string; name: string }[]>(
      `update api_keys set revoked_at = ? where id = ? and user_id = ? and tenant_id = ? and revoked_at is null returning token_hash, name`,
      [clock(), id, userId, tenant.tenantId],
    );
    if (!row) throw new AppError('NOT_FOUND', 'No such API key of yours in this tenant (it may have been revoked already)');
    await audit(tx, { action: 'api_key.revoked', tenantId: tenant.tenantId, actor: { kind: 'user', userId }, target: { kind: 'api_key', id, label: row.name } });
    return row.token_hash;
  });
  // After the commit: an instance that loads the row from now on finds it revoked; the tombstone
  // makes those that cached it refuse it too, and outlives any entry cached before it.
  if (cache) await forgetRevokedKeys(cache, [tokenHash]);
  return { revoked: true };
}

/**
 * Revokes a person's keys in a tenant, in the caller's transaction (their membership ends or is
 * deactivated: a later return to the tenant must not bring a leaked key back to life). Answers
 * their hashes, for forgetRevokedKeys once the transaction has committed.
 */
export async function revokeMemberKeys(tx: EntityManager, now: Date, userId: string, tenantId: string): Promise<string[]> {
  const rows = await tx.execute<{ token_hash: string }[]>(
    `update api_keys set revoked_at = ? where user_id = ? and tenant_id = ? and revoked_at is null returning token_hash`,
    [now, userId, tenantId],
  );
  return rows.map((row) => row.token_hash);
}

/** Every instance refuses these revoked keys from now on (a tombstone each, and the invalidation message). */
export const forgetRevokedKeys = (cache: Cache, hashes: readonly string[]) => forgetCredentials(cache, hashes, keyCacheKey, KEY_TTL_SECONDS * 2);

async function loadKey(em: EntityManager, hash: string): Promise<{ key: KeyRecord | null }> {
  const [row] = await em.execute<{ id: string; user_id: string; tenant_id: string; expires_at: Date | null; revoked_at: Date | null }[]>(
    `select id, user_id, tenant_id, expires_at, revoked_at from api_keys where token_hash = ?`,
    [hash],
  );
  if (!row) return { key: null };
  return {
    key: { id: row.id, userId: row.user_id, tenantId: row.tenant_id, expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null, revoked: row.revoked_at !== null },
  };
}

/**
 * A key by hash, read through the cache. Only keys that exist are stored: a made-up key (anyone
 * can send one) costs a database read, never a cache entry.
 */
async function cachedKey(cache: Cache, em: EntityManager, hash: string): Promise<KeyRecord | null> {
  const at = keyCacheKey(hash);
  const slot = slotIn<{ key: KeyRecord | null }>(cache, await cache.get(at));
  if (slot.kind === 'value' && slot.value.key) return slot.value.key;
  const loaded = await loadKey(em, hash);
  if (loaded.key) await fill(cache, at, slot, loaded, KEY_TTL_SECONDS);
  return loaded.key;
}

/** Records a key's first successful use (api_key.first_used), in the transaction that takes its last_used_at from null. */
export async function recordFirstKeyUse(tx: EntityManager, id: string): Promise<void> {
  const [key] = await tx.execute<{ user_id: string; tenant_id: string; name: string }[]>(`select user_id, tenant_id, name from api_keys where id = ?`, [id]);
  if (!key) return;
  await audit(tx, {
    action: 'api_key.first_used',
    tenantId: key.tenant_id,
    actor: { kind: 'api_key', userId: key.user_id, keyId: id },
    target: { kind: 'api_key', id, label: key.name },
  });
}

const noteUse = lastUseRecorder('api_keys', recordFirstKeyUse);

/** API keys, to checkCredential. */
const apiKeyKind = (deps: ApiKeyDeps): CredentialKind<KeyRecord> => ({
  lookup: async (hash) => (deps.cache ? cachedKey(deps.cache, deps.em, hash) : (await loadKey(deps.em, hash)).key),
  noteUse,
  usageId: (key) => key.id,
  caller: (key, tenant) => ({ credential: { kind: 'apiKey', id: key.id }, userId: key.userId, tenant }),
  words: {
    unknown: 'The API key is unknown or has been revoked',
    expired: 'The API key has expired',
    notMember: "The API key's owner is no longer an active member of its tenant",
  },
});

/**
 * The caller a presented key acts for, or why it is refused. Unknown, revoked and malformed keys
 * are not told apart (an unknown one says nothing of which exist).
 */
export async function authenticateApiKey(deps: ApiKeyDeps, secret: string): Promise<KeyCheck> {
  if (!isApiKeyShaped(secret)) return { ok: false, reason: 'malformed', message: `This is not an MREG API key (they start with ${API_KEY_PREFIX})` };
  return checkCredential(deps, hashToken(secret), apiKeyKind(deps));
}

/** How long this process answers a key from its own memory before asking the cache again. */
export const LOCAL_CALLER_MS = 2000;

/**
 * The callers this process verified lately, by key hash, so that a busy MCP client costs no cache
 * round trip per request. Kept at most LOCAL_CALLER_MS (and never past the key's expiry), and only
 * while the invalidation channel is live: a revocation or a change of the owner's standing
 * (publishInvalidation) drops them at once on every instance.
 */
export interface LocalCallers {
  /** A count of the invalidations heard (and of the channel's interruptions), taken before a lookup. */
  mark(): number;
  get(hash: string, now: number): BearerCaller | undefined;
  /** Keeps a caller found by a lookup that began at `mark`, unless an invalidation came since. */
  keep(hash: string, caller: BearerCaller, expiresAt: number | null, now: number, mark: number): void;
  close(): Promise<void>;
}

export function localCallers(cache: Cache, logger: Logger): LocalCallers {
  const kept = new LRUCache<string, { caller: BearerCaller; until: number }>({ max: 10_000 });
  let heard = 0;
  let wasLive = false;
  let epoch = 0;
  const subscription = subscribeInvalidations(cache, logger, (message) => {
    heard += 1;
    if (message.kind === 'credential') {
      kept.delete(message.hash);
      return;
    }
    const users = new Set(message.userIds);
    for (const [hash, entry] of kept.entries()) {
      if (entry.caller.tenant.tenantId === message.tenantId && users.has(entry.caller.userId)) kept.delete(hash);
    }
  });
  /** Live now; a channel that was down meanwhile may have missed messages: nothing kept before counts. */
  const live = () => {
    const now = subscription.live;
    if (now !== wasLive || subscription.epoch !== epoch) {
      wasLive = now;
      epoch = subscription.epoch;
      heard += 1;
      kept.clear();
    }
    return now;
  };
  return {
    mark: () => (live(), heard),
    get(hash, now) {
      if (!live()) return undefined;
      const entry = kept.get(hash);
      if (!entry || entry.until <= now) return undefined;
      return entry.caller;
    },
    keep(hash, caller, expiresAt, now, mark) {
      if (live() && mark === heard) kept.set(hash, { caller, until: Math.min(now + LOCAL_CALLER_MS, expiresAt ?? Number.POSITIVE_INFINITY) });
    },
    close: () => subscription.close(),
  };
}
