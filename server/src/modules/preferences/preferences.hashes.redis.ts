import type { CacheBackend } from '../../cache/cache';
import { PENDING_RETRY_MS } from '../../cache/redis';
import { assertNames, CacheUnavailableError, COMPLETE, storedHash, type HashWriteOptions, type HashWriteResult, type PreferenceHashes, type StoredHash } from './preferences.hashes';

/**
 * write. KEYS: the hash, the group's index. ARGV: member, maxFields (-1: no limits), maxMembers,
 * '1' to mark the hash complete, then field, JSON pairs. Answers {'ok', HGETALL} or {'fields', count, adding} / {'members', count}.
 * The "" field and member mark completeness and are not counted.
 */
const WRITE_HASH = `
local maxFields = tonumber(ARGV[2])
if maxFields >= 0 then
  local count = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], '')
  local adding = 0
  for i = 5, #ARGV, 2 do
    if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then adding = adding + 1 end
  end
  if count + adding > maxFields then return {'fields', count, adding} end
  if adding > 0 and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
    local members = redis.call('SCARD', KEYS[2]) - redis.call('SISMEMBER', KEYS[2], '')
    if members >= tonumber(ARGV[3]) then return {'members', members} end
  end
end
if #ARGV >= 6 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 5))
  if ARGV[4] == '1' then redis.call('HSET', KEYS[1], '', '1') end
  redis.call('SADD', KEYS[2], ARGV[1])
end
return {'ok', redis.call('HGETALL', KEYS[1])}`;

/** fill, one member. KEYS: the hash, the group's index. ARGV: member, then field, JSON pairs. */
const FILL_HASH = `
for i = 2, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], '', '1')
redis.call('SADD', KEYS[2], ARGV[1])
return 1`;

/** HGETALL's flat [field, value, field, value, ...] as pairs. */
function pairs(flat: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}

/** The hashes in Redis, through the cache's connection and failure log. */
export class RedisHashes implements PreferenceHashes {
  /** drop deletes Redis has not taken yet, by full key: read as absent until done. */
  private readonly pendingDrops = new Set<string>();
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly backend: Extract<CacheBackend, { kind: 'redis' }>) {
    backend.client.on('ready', () => void this.settleDrops());
  }

  private hashKey(group: string, member: string): string {
    return this.backend.key(`${group}:${member}`);
  }

  /** Runs an operation on kept data: a failure is logged (rate-limited) and thrown, never a miss. */
  private async kept<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.backend.failed(operation, error);
      throw new CacheUnavailableError(error);
    }
  }

  /** Deletes a hash drop could not, before it is written or read again; throws while Redis is gone. */
  private async settleDrop(fullKey: string): Promise<void> {
    if (!this.pendingDrops.has(fullKey)) return;
    await this.kept('delete', () => this.backend.client.del(fullKey));
    this.pendingDrops.delete(fullKey);
  }

  /**
   * Tries every pending drop while Redis is ready; while any is left, again every second (a
   * timed-out command leaves the connection up, so no 'ready' comes), until the cache is closed.
   */
  private async settleDrops(): Promise<void> {
    if (this.backend.client.status === 'end') return;
    if (this.backend.client.status === 'ready') {
      try {
        for (const fullKey of this.pendingDrops) await this.settleDrop(fullKey);
      } catch {
        // Tried again below.
      }
    }
    if (this.pendingDrops.size > 0) this.retryLater();
  }

  private retryLater(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.settleDrops();
    }, PENDING_RETRY_MS);
    this.retry.unref();
  }

  async drop(group: string, member: string): Promise<void> {
    const fullKey = this.hashKey(group, member);
    try {
      await this.backend.client.del(fullKey);
      this.pendingDrops.delete(fullKey);
    } catch (error) {
      this.backend.failed('delete', error);
      this.pendingDrops.add(fullKey);
      this.retryLater();
    }
  }

  async write(group: string, member: string, fields: Record<string, unknown>, { limits, complete }: HashWriteOptions = {}): Promise<HashWriteResult> {
    const entries = Object.entries(fields);
    assertNames([member, ...entries.map(([name]) => name)], 'Member and field');
    await this.settleDrop(this.hashKey(group, member));
    const reply = (await this.kept('write', () =>
      this.backend.client.eval(
        WRITE_HASH,
        2,
        this.hashKey(group, member),
        this.backend.key(group),
        member,
        limits ? limits.maxFields : -1,
        limits ? limits.maxMembers : -1,
        complete ? '1' : '0',
        ...entries.flatMap(([name, value]) => [name, JSON.stringify(value)]),
      ),
    )) as [string, ...unknown[]];
    if (reply[0] === 'fields') return { written: false, limit: 'fields', count: Number(reply[1]), adding: Number(reply[2]) };
    if (reply[0] === 'members') return { written: false, limit: 'members', count: Number(reply[1]) };
    return { written: true, ...storedHash(pairs(reply[1] as string[])) };
  }

  async fill(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void> {
    const filled = Object.entries(members).filter(([, fields]) => Object.keys(fields).length > 0);
    for (const [member, fields] of filled) assertNames([member, ...Object.keys(fields)], 'Member and field');
    if (filled.length === 0 && !groupComplete) return;
    for (const [member] of filled) await this.settleDrop(this.hashKey(group, member));
    // One MULTI, so that the index is marked complete only after (and with) every member.
    const multi = this.backend.client.multi();
    for (const [member, fields] of filled) {
      multi.eval(
        FILL_HASH,
        2,
        this.hashKey(group, member),
        this.backend.key(group),
        member,
        ...Object.entries(fields).flatMap(([name, value]) => [name, JSON.stringify(value)]),
      );
    }
    if (groupComplete) multi.sadd(this.backend.key(group), COMPLETE);
    this.settled('fill', await this.kept('fill', () => multi.exec()));
  }

  /** Throws CacheUnavailableError when a MULTI or pipeline was aborted or one of its commands failed. */
  private settled<T>(operation: string, results: [Error | null, T][] | null): [Error | null, T][] {
    const failure = results?.find(([error]) => error)?.[0];
    if (!results || failure) {
      const error = failure ?? new Error(`${operation} aborted`);
      this.backend.failed(operation, error);
      throw new CacheUnavailableError(error);
    }
    return results;
  }

  async read(group: string, member: string): Promise<StoredHash> {
    const fullKey = this.hashKey(group, member);
    if (this.pendingDrops.has(fullKey)) return storedHash([]);
    const hash = await this.kept('read', () => this.backend.client.hgetall(fullKey));
    return storedHash(Object.entries(hash));
  }

  async readGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }> {
    const index = await this.kept('read', () => this.backend.client.smembers(this.backend.key(group)));
    const members = index.filter((member) => member !== COMPLETE);
    const pipeline = this.backend.client.pipeline();
    for (const member of members) pipeline.hgetall(this.hashKey(group, member));
    const results = members.length > 0 ? this.settled('read', await this.kept('read', () => pipeline.exec())) : [];
    return {
      members: Object.fromEntries(
        members.map((member, i) => [
          member,
          storedHash(this.pendingDrops.has(this.hashKey(group, member)) ? [] : Object.entries(results[i]![1] as Record<string, string>)),
        ]),
      ),
      complete: index.includes(COMPLETE),
    };
  }
}
