import { MemoryStore, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Cache } from './cache';

/**
 * rate-limit-redis that keeps limiting while Redis is down: counts then go to an in-process store
 * (per instance, so looser, but never off), the cache logs the failure (rate-limited), and the
 * scripts rate-limit-redis loads once are loaded again, so that shared limits come back with Redis.
 */
class ResilientRedisStore extends RedisStore {
  private readonly fallback = new MemoryStore();

  constructor(
    options: ConstructorParameters<typeof RedisStore>[0],
    private readonly onError: (error: unknown) => void,
  ) {
    super(options);
  }

  override async init(options: Parameters<RedisStore['init']>[0]) {
    this.fallback.init(options);
    try {
      await super.init(options);
    } catch (error) {
      this.onError(error);
    }
  }

  override async increment(key: string) {
    try {
      return await super.increment(key);
    } catch (error) {
      this.onError(error);
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => {});
      return this.fallback.increment(key);
    }
  }

  async shutdown() {
    this.fallback.shutdown();
  }
}

/**
 * Where a rate limiter keeps its counters: Redis (shared by every instance) under
 * `<namespace>:rate:<name>:`, or undefined for express-rate-limit's in-process store.
 */
export function rateLimitStore(cache: Cache, name: string): Store | undefined {
  const backend = cache.backend;
  if (backend.kind === 'memory') return undefined;
  return new ResilientRedisStore(
    {
      sendCommand: (command: string, ...args: string[]) => backend.client.call(command, ...args) as Promise<RedisReply>,
      prefix: backend.key(`rate:${name}:`),
    },
    (error) => backend.failed('rate-limit', error),
  );
}
