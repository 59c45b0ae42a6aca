import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics';

/** res.locals key a middleware may set to name a mount that has no Express route (say /trpc). */
export const METRICS_ROUTE = 'metricsRoute';

/**
 * The route label: the Express route pattern (`/avatars/:userId/:hash`), else a mount's own name,
 * else "unmatched" for a 404 and "spa" for the SPA's files; never the URL, so that the number of
 * label values stays that of the app's routes.
 */
function routeOf(req: Request, res: Response): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return req.baseUrl + route.path;
  const named = res.locals[METRICS_ROUTE];
  if (typeof named === 'string') return named;
  if (res.statusCode === 404) return 'unmatched';
  return req.baseUrl || 'spa';
}

/** Counts and times every HTTP request, answered or aborted, by method, route and status. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  // One listener for all requests, not a closure each: `this` is the response.
  function recordRequest(this: Response) {
    const started = this.locals.metricsStarted as number;
    metrics.httpRequest(this.req.method, routeOf(this.req, this), this.statusCode, (performance.now() - started) / 1000);
  }
  return (_req: Request, res: Response, next: NextFunction) => {
    res.locals.metricsStarted = performance.now();
    res.once('close', recordRequest);
    next();
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Why an Authorization header does not carry MREG_METRICS_TOKEN; never the header itself, a secret or a guess at one. */
type Refusal = 'missing' | 'wrong';

/**
 * The check of `Authorization: Bearer <MREG_METRICS_TOKEN>` on both ports. Both sides are hashed
 * first, so that the comparison takes the same time whatever the length.
 */
function bearerCheck(token: string): (given: string | undefined) => Refusal | undefined {
  const expected = digest(`Bearer ${token}`);
  return (given) => (given === undefined ? 'missing' : timingSafeEqual(digest(given), expected) ? undefined : 'wrong');
}

/** The 401 of either port: the same headers and words. */
function refusalHeaders(refusal: Refusal): Record<string, string> {
  return {
    'www-authenticate': refusal === 'missing' ? 'Bearer realm="mreg-metrics"' : 'Bearer realm="mreg-metrics", error="invalid_token"',
    'cache-control': 'no-store',
    'content-type': 'text/plain; charset=utf-8',
  };
}
const REFUSAL_TEXT = 'Unauthorized: /metrics needs Authorization: Bearer <MREG_METRICS_TOKEN>\n';
const REFUSAL_LOG = '/metrics refused';

/** `GET /metrics` on the public port, for `Authorization: Bearer <MREG_METRICS_TOKEN>` only. */
export function protectedMetrics(metrics: Metrics, token: string): RequestHandler {
  const check = bearerCheck(token);
  return async (req, res, next) => {
    const refusal = check(req.get('authorization'));
    if (refusal) {
      req.log.warn({ authorization: refusal }, REFUSAL_LOG);
      res.status(401).set(refusalHeaders(refusal)).send(REFUSAL_TEXT);
      return;
    }
    try {
      const body = await metrics.scrape();
      res.status(200).set('Content-Type', metrics.contentType).set('Cache-Control', 'no-store').send(body);
    } catch (error) {
      next(error);
    }
  };
}

export interface MetricsListenerOptions {
  /** MREG_METRICS_TOKEN: when set, this listener asks for it as the public port does; unset, loopback is enough. */
  token?: string;
  logger: Logger;
}

/**
 * The loopback-only metrics listener: `GET /metrics`, and 404 for anything else. Loopback keeps out
 * other machines, not other users or containers sharing this host's network: with a token set, it
 * asks for the token too.
 */
export function metricsListener(metrics: Metrics, { token, logger }: MetricsListenerOptions): RequestListener {
  const check = token === undefined ? undefined : bearerCheck(token);
  return (req, res) => {
    const path = req.url?.split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('Method not allowed\n');
      return;
    }
    const refusal = check?.(req.headers.authorization);
    if (refusal) {
      logger.warn({ authorization: refusal, listener: 'loopback' }, REFUSAL_LOG);
      res.writeHead(401, refusalHeaders(refusal)).end(REFUSAL_TEXT);
      return;
    }
    metrics.scrape().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Metrics could not be collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics could not be collected\n');
      },
    );
  };
}
