import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * Where the instance is in its life, for a clean stop behind a load balancer: after
 * SIGTERM it drains (readiness false, answers close their connections, requests still served),
 * then its listener closes, in-flight requests finish, and the standing event streams end so that
 * their clients reconnect, through the balancer, to another instance.
 */
export interface Lifecycle {
  draining: boolean;
  /** Open GET event streams of /mcp and /mcp/<slug>: they never finish by themselves. */
  streams: Set<ServerResponse>;
}

export function newLifecycle(): Lifecycle {
  return { draining: false, streams: new Set() };
}

/** While draining, every answer closes its connection: the balancer's next request opens a new one, to an instance still taking work. */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): RequestHandler {
  return (_req, res, next) => {
    if (lifecycle.draining) res.set('Connection', 'close');
    next();
  };
}

/** Keeps the GET requests (the standing event streams) of the MCP routes, until each closes. */
export function trackStandingStreams(lifecycle: Lifecycle): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET') {
      lifecycle.streams.add(res);
      res.on('close', () => lifecycle.streams.delete(res));
    }
    next();
  };
}

/**
 * Ends the standing streams: MCP clients open them again (the SDK's client does), elsewhere. Cut,
 * not ended: a stream that waits for its client to read (backpressure) would never finish an end,
 * and cutting it is what makes its handler let go of the upstream (/mcp/<slug>'s GET stream).
 */
export function endStandingStreams(lifecycle: Lifecycle): void {
  for (const res of lifecycle.streams) res.destroy();
  lifecycle.streams.clear();
}
