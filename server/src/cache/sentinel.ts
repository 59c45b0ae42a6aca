import type { Redis, RedisOptions } from 'ioredis';

/** Redis Sentinel: where to ask for the primary (settings.redisSentinel). */
export interface RedisSentinel {
  sentinels: { host: string; port: number }[];
  /** The master group the sentinels watch (`sentinel monitor <name> ...`). */
  name: string;
  /** The sentinels' own password, if they have one. */
  password?: string;
}

/**
 * ioredis through the sentinels (https://github.com/redis/ioredis#sentinel), with the fail-fast
 * options (`base`, redis.ts's REDIS_OPTIONS): while the primary is down or being replaced, commands
 * fail at once (no offline queue) and are answered as misses; each reconnection asks the sentinels
 * for the primary anew.
 */
export function sentinelOptions(sentinel: RedisSentinel, tls: boolean, base: RedisOptions & { connectTimeout: number }): RedisOptions {
  return {
    ...base,
    sentinels: sentinel.sentinels,
    name: sentinel.name,
    sentinelPassword: sentinel.password,
    // A sentinel that takes the connection but never answers costs no more than a hung Redis.
    sentinelCommandTimeout: base.connectTimeout,
    // Each attempt asks a sentinel where the primary is: after a failover, the next one finds the
    // promoted replica, so they come at most half a second apart (a lone Redis gets up to 2 s).
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 500),
    // Told of a failover by the sentinels (+switch-master), not only by a broken connection: a
    // primary that was demoted but still answers is left at once (see keepConnecting: how ioredis
    // can end a client on such a message).
    failoverDetector: true,
    // A write refused by a demoted primary reconnects through the sentinels; the command itself
    // fails (no offline queue), as every command does during the switch.
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
    // rediss:// in MREG_REDIS_URL: TLS to the data nodes (the sentinels are asked in the clear).
    enableTLSForSentinelMode: tls,
  };
}

/**
 * ioredis (5.x) keeps the failover detector of a connection that broke; when the sentinels announce
 * the switch while the client is asking them for the primary anew, the detector aborts that attempt,
 * and the client ends for good ("Connection is closed.", status end), never to reconnect: seen in 2
 * of 12 runs of the failover test, the cache lost until a restart, /readyz 503 all the while. So a
 * client that ends without its owner having closed it connects again, and so does every duplicate
 * made of it (the subscriptions of cache/invalidation.ts and of the gateway's cancellations).
 */
export function keepConnecting(client: Redis): Redis {
  let closing = false;
  const { disconnect, quit, duplicate } = client;
  client.disconnect = (reconnect?: boolean) => {
    if (!reconnect) closing = true;
    disconnect.call(client, reconnect);
  };
  client.quit = ((...args: Parameters<Redis['quit']>) => {
    closing = true;
    return quit.apply(client, args);
  }) as Redis['quit'];
  client.duplicate = (override?: Partial<RedisOptions>) => keepConnecting(duplicate.call(client, override));
  client.on('end', () => {
    if (!closing) setTimeout(() => void client.connect().catch(() => {}), 100).unref();
  });
  return client;
}
