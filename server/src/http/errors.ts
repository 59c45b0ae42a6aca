import type { ErrorRequestHandler, Response } from 'express';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { ErrorReason } from '@mreg/shared';
import { APP_ERROR_CODES, clientError, httpStatus } from '../errors';

/** A plain route's refusal: JSON `{ error, reason? }`, never cached (a refusal may not hold next time). */
export function refuse(res: Response, status: number, error: string, reason?: ErrorReason): void {
  res.set('Cache-Control', 'no-store');
  res.status(status).json({ error, reason });
}

/**
 * A /trpc request refused before tRPC runs (CSRF, a batch too large, the rate limit), in the shape
 * of tRPC's own errors, which the clients read: `{ error: { message, code, data: { code, httpStatus } } }`.
 */
export function refuseTrpc(res: Response, code: 'BAD_REQUEST' | 'FORBIDDEN' | 'TOO_MANY_REQUESTS', message: string): void {
  const status = APP_ERROR_CODES[code].status;
  res.status(status).json({ error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status } } });
}

/**
 * The one error map (clientError, errors.ts) for the plain routes, as trpc/error-map.ts applies it to tRPC: a
 * service's AppError or a database outage answers its status (a 403, a 404, a 503...) and its words;
 * anything else goes on to the app's 500, which names nothing.
 */
export const appErrors: ErrorRequestHandler = (error, req, res, next) => {
  const known = clientError(error);
  if (!known || res.headersSent) return next(error);
  // An outage is the operator's to see, with the driver's words that the client is not told (the
  // request logger is the app's; a router mounted alone has none).
  if (known.code === 'UNAVAILABLE') req.log?.warn({ err: known.cause ?? known }, 'Database unavailable');
  refuse(res, httpStatus(known), known.message, known.reason);
};
