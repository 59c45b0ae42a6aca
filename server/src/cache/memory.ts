import { LRUCache } from 'lru-cache';
import type { Cache, CacheBackend } from './cache';

/** The in-process cache (no MREG_REDIS_URL): an LRU of JSON copies, and kept data beside it. */
export class MemoryCache implements Cache {
  readonly kind = 'memory';
  readonly available = true;
  readonly mayHaveLostWrites = false;
  readonly backend: CacheBackend;
  private readonly lru: LRUCache<string, { json: string }>;
  // Kept data lives beside the LRU, never in it: evicting it would lose it.
  private readonly kept = new Map<string, unknown>();

  constructor(
    private readonly namespace: string,
    maxEntries: number,
  ) {
    this.lru = new LRUCache({ max: maxEntries, ttlAutopurge: false });
    this.backend = { kind: 'memory', kept: this.kept, key: (key) => this.key(key) };
  }

  private key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.lru.get(this.key(key));
    return entry === undefined ? undefined : (JSON.parse(entry.json) as T);
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    // Stored as JSON so callers get a copy, exactly as from Redis.
    this.lru.set(this.key(key), { json: JSON.stringify(value) }, { ttl: ttlSeconds * 1000 });
  }

  async add(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0 || this.lru.has(this.key(key))) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  async replace(key: string, expected: unknown, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0 || this.lru.get(this.key(key))?.json !== JSON.stringify(expected)) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  setEventually(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    return this.set(key, value, ttlSeconds);
  }

  async delete(...keys: string[]): Promise<void> {
    // As Redis's DEL, whatever the key holds.
    for (const key of keys) {
      this.lru.delete(this.key(key));
      this.kept.delete(this.key(key));
    }
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.lru.clear();
    this.kept.clear();
  }
}
