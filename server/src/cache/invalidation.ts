import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Cache } from './cache';

/**
 * Changes every instance must hear of at once, for what it keeps in its own memory (the gateway's
 * verified callers): an API key revoked, people's standing in a tenant changed. Sent over Redis
 * publish/subscribe when the app has Redis; without it, within the process (the in-process cache
 * is one process's, shared by the apps a test starts in it).
 */
export type Invalidation = { kind: 'credential'; hash: string } | { kind: 'tenant-context'; tenantId: string; userIds: readonly string[] };

const inProcess = new WeakMap<Cache, EventEmitter>();
const emitterOf = (cache: Cache) => {
  let emitter = inProcess.get(cache);
  if (!emitter) inProcess.set(cache, (emitter = new EventEmitter().setMaxListeners(0)));
  return emitter;
};

/** Tells every instance; a Redis failure is logged by the cache (the subscribers then trust nothing they keep). */
export async function publishInvalidation(cache: Cache, message: Invalidation): Promise<void> {
  // This instance's own subscribers hear it at once, before the change is answered; the others
  // through Redis (which delivers it to this instance as well: handlers take a message twice alike).
  emitterOf(cache).emit('invalidate', message);
  const backend = cache.backend;
  if (backend.kind === 'memory') return;
  await backend.client.publish(backend.key('invalidate'), JSON.stringify(message)).catch((error: unknown) => backend.failed('invalidate-publish', error));
}

export interface Subscription {
  /** Whether messages are being received now: what is kept on their account is trusted only then. */
  readonly live: boolean;
  /** How many times it has (re)subscribed: a change means messages may have been missed in between. */
  readonly epoch: number;
  close(): Promise<void>;
}

export function subscribeInvalidations(cache: Cache, logger: Logger, onMessage: (message: Invalidation) => void): Subscription {
  const backend = cache.backend;
  if (backend.kind === 'memory') {
    const emitter = emitterOf(cache);
    emitter.on('invalidate', onMessage);
    return {
      live: true,
      epoch: 1,
      async close() {
        emitter.off('invalidate', onMessage);
      },
    };
  }
  const emitter = emitterOf(cache);
  emitter.on('invalidate', onMessage);
  const channel = backend.key('invalidate');
  // A connection of its own (a subscribed one takes no other commands), subscribing again after
  // each reconnection; while it is not subscribed, `live` is false.
  const subscriber = backend.client.duplicate({ lazyConnect: false, enableOfflineQueue: true, autoResubscribe: true });
  let subscribed = false;
  let epoch = 0;
  subscriber.on('error', (error) => backend.failed('invalidate-subscribe', error));
  subscriber.on('close', () => (subscribed = false));
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        subscribed = true;
        epoch += 1;
      },
      (error: unknown) => backend.failed('invalidate-subscribe', error),
    );
  });
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      onMessage(JSON.parse(text) as Invalidation);
    } catch {
      logger.warn('An invalidation message that is not MREG\'s was ignored');
    }
  });
  return {
    get live() {
      return subscribed && subscriber.status === 'ready';
    },
    get epoch() {
      return epoch;
    },
    async close() {
      emitter.off('invalidate', onMessage);
      subscriber.disconnect();
    },
  };
}
