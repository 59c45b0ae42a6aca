import type { Logger } from 'pino';
import type { Cache } from '../../cache/cache';

/**
 * The calls in flight through /mcp on this process, by caller and JSON-RPC id, so that a client's
 * notifications/cancelled, which arrives on a POST of its own (to whichever instance the load
 * balancer picks), reaches the call: here directly, and on the other instances through Redis
 * publish/subscribe when the app has Redis.
 */
export interface Cancellations {
  /** Registers a call; the returned function forgets it (call it when the call ends). */
  track(key: string, controller: AbortController): () => void;
  /** Cancels the call under `key` wherever it runs. */
  cancel(key: string, reason: string): Promise<void>;
  close(): Promise<void>;
}

/** The key of a caller's request: its credential, its gateway session (if any) and the JSON-RPC id. */
export const callKey = (credentialId: string, sessionId: string | undefined, requestId: string | number) => JSON.stringify([credentialId, sessionId ?? null, requestId]);

/**
 * Without Redis there is one instance, or several apps in one process sharing its in-process cache
 * (the tests' two instances): they share this map too.
 */
const inThisProcess = new Map<string, AbortController>();

export function cancellations(cache: Cache, logger: Logger): Cancellations {
  const inFlight = cache.backend.kind === 'memory' ? inThisProcess : new Map<string, AbortController>();
  const local = (key: string, reason: string) => {
    const controller = inFlight.get(key);
    if (!controller) return false;
    controller.abort(new Error(reason));
    return true;
  };
  const track = (key: string, controller: AbortController) => {
    inFlight.set(key, controller);
    return () => {
      if (inFlight.get(key) === controller) inFlight.delete(key);
    };
  };
  const backend = cache.backend;
  if (backend.kind === 'memory') {
    return {
      track,
      async cancel(key, reason) {
        local(key, reason);
      },
      async close() {},
    };
  }
  const channel = backend.key('gateway:cancel');
  // Its own connection (a subscribed one takes no other commands), which queues the subscription
  // until it is connected and subscribes again after each reconnection.
  const subscriber = backend.client.duplicate({ lazyConnect: false, enableOfflineQueue: true, autoResubscribe: true });
  subscriber.on('error', (error) => backend.failed('gateway-cancel-subscribe', error));
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const { key, reason } = JSON.parse(message) as { key: string; reason: string };
      local(key, reason);
    } catch {
      logger.warn('A cancellation message that is not MREG\'s was ignored');
    }
  });
  subscriber.subscribe(channel).catch((error: unknown) => backend.failed('gateway-cancel-subscribe', error));
  return {
    track,
    async cancel(key, reason) {
      if (local(key, reason)) return;
      await backend.client.publish(channel, JSON.stringify({ key, reason })).catch((error: unknown) => backend.failed('gateway-cancel-publish', error));
    },
    async close() {
      subscriber.disconnect();
    },
  };
}
