import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/**
 * The first two layers of the host (STYLE.md, "Host"): security headers, then the request id and
 * logging. Their own module so that the benchmark's floor (bench/servers/floor.ts) runs the very
 * same ones.
 */

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** helmet with a CSP that fits the SPA; HSTS and upgrade-insecure-requests only behind https. */
export function securityHeaders(https: boolean) {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    strictTransportSecurity: https,
  });
}

/** A request id (the client's X-Request-Id when well-formed) and one log line per request. */
export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Probes and scrapes would fill the log; a failing /readyz and a refused /metrics log themselves.
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    // Paths only: query strings can carry codes and states, headers carry cookies. The serializers
    // take the request and response themselves: pino-std-serializers' copies (headers and all),
    // built for every request's logger even when nothing is logged, would be thrown away here.
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url?.split('?')[0],
        remoteAddress: req.socket?.remoteAddress,
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
  });
}
