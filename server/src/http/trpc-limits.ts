import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { CSRF_HEADER, TRPC_MAX_BATCH_SIZE } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import { rateLimitStore } from '../cache/rate-limit';
import { refuseTrpc } from './errors';

// What one caller may ask of /trpc: at most TRPC_MAX_BATCH_SIZE calls a request, and
// MREG_TRPC_RATE_LIMIT calls a minute. Both run before the body is read and before tRPC.

/**
 * The calls a /trpc request holds, counted as tRPC counts them: `/trpc/a,b,c?batch=1` is three, its
 * commas percent-encoded or not; anything else is one.
 */
export function trpcCalls(req: Request): number {
  const query = req.url.indexOf('?');
  if (query < 0 || new URLSearchParams(req.url.slice(query + 1)).get('batch') !== '1') return 1;
  const path = req.path.slice(req.path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(path).split(',').length;
  } catch {
    // A path tRPC cannot decode is refused by tRPC (400) before any call.
    return 1;
  }
}

/** Refuses a batch of more than TRPC_MAX_BATCH_SIZE calls (400) before any of them runs. */
export const trpcBatchLimit: RequestHandler = (req, res, next) => {
  const calls = trpcCalls(req);
  if (calls <= TRPC_MAX_BATCH_SIZE) return next();
  refuseTrpc(res, 'BAD_REQUEST', `A batch of ${calls} calls; one request may hold at most ${TRPC_MAX_BATCH_SIZE}`);
};

export interface TrpcRateLimitDeps {
  /** Calls a minute (MREG_TRPC_RATE_LIMIT). */
  limit: number;
  cache: Cache;
  /** The live session behind the request, null without one (the lookup the tRPC context then reuses). */
  session(req: Request, res: Response): Promise<{ sessionId: string } | null>;
  /** The id of the live API key a bearer request presents, null when it presents none (or a dead one). */
  apiKey(req: Request, res: Response): Promise<string | null>;
}

/**
 * At most `limit` tRPC calls a minute per live session, and per client address for callers without
 * one, counted in Redis when the app has it (shared by its instances), else in the process. A batch
 * counts as its calls, so that the bound is on the work asked for however it is packed; a refused
 * request runs none of them and gets 429 TOO_MANY_REQUESTS with Retry-After.
 *
 * The key is the session's id once the cookie has been looked up, never the cookie: made-up cookies
 * would each get a count of their own, so a caller without a live session is counted by address.
 * Only requests with the CSRF header, which MREG's own clients always send, count as the session's
 * or the address's: another site's page cannot add that header (it would need CORS, which MREG
 * never answers), yet its navigations and no-cors fetches carry the person's cookie and come from
 * their address. Such requests, and scripts that leave the header out, have a count of their own
 * per address, so that no other site can use up a person's calls, or those of the app's pages at
 * that address.
 */
export function trpcRateLimit({ limit, cache, session, apiKey }: TrpcRateLimitDeps): RequestHandler {
  // Held here rather than left to express-rate-limit, to count a batch's other calls on it too.
  const store = rateLimitStore(cache, 'trpc') ?? new MemoryStore();
  const keyOf = async (req: Request, res: Response) => {
    const address = ipKeyGenerator(req.ip ?? '');
    // A bearer request is a script's, counted per key (a dead key's by address: it is refused anyway).
    if (req.headers.authorization !== undefined) {
      const key = await apiKey(req, res).catch(() => null);
      return key ? `apikey:${key}` : `ip:${address}`;
    }
    if (req.get(CSRF_HEADER) !== '1') return `headerless:${address}`;
    // A lookup that fails (the database down, the cache not knowing the token) is answered 503 by
    // the context; until then the caller counts as one without a session.
    const live = await session(req, res).catch(() => null);
    return live ? `session:${live.sessionId}` : `ip:${address}`;
  };
  const limiter = rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-8',
    identifier: 'trpc',
    legacyHeaders: false,
    store,
    keyGenerator: keyOf,
    handler: (req, res) => {
      const { key } = (req as AugmentedRequest).rateLimit!;
      const who = key.startsWith('session:')
        ? 'this session'
        : key.startsWith('apikey:')
          ? 'this API key'
        : key.startsWith('ip:')
          ? 'this address without a session'
          : `this address without the ${CSRF_HEADER} header (MREG's own clients send it)`;
      req.log.warn({ rateLimitKey: key, calls: trpcCalls(req) }, 'tRPC rate limit reached (MREG_TRPC_RATE_LIMIT)');
      refuseTrpc(res, 'TOO_MANY_REQUESTS', `Too many calls from ${who}: at most ${limit} a minute. Try again in ${res.getHeader('retry-after')} s.`);
    },
  });
  return async (req, res, next) => {
    try {
      // The limiter counts the request once and judges the total: a batch's other calls first.
      const others = trpcCalls(req) - 1;
      if (others > 0) {
        const key = await keyOf(req, res);
        await Promise.all(Array.from({ length: others }, () => store.increment(key)));
      }
      await limiter(req, res, next);
    } catch (error) {
      next(error);
    }
  };
}
