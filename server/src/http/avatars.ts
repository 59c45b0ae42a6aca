import type { EntityManager } from '@mikro-orm/postgresql';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AVATAR_MAX_BYTES } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import { rateLimitStore } from '../cache/rate-limit';
import type { Settings } from '../config';
import type { Clock } from '../lib/clock';
import { deleteAvatar, loadAvatar, storeAvatar } from '../modules/profiles/avatars.service';
import { profileDeps } from '../modules/profiles/profiles.service';
import { resolveSession } from '../modules/sessions/sessions.validate';
import { sessionDeps, type ActiveSession, type SessionMetrics } from '../modules/sessions/sessions.store';
import { cookiePolicy } from './cookies';
import { csrfRefusal } from './csrf';
import { refuse } from './errors';

export interface AvatarRoutesDeps {
  settings: Settings;
  /** The ORM's root EntityManager; each request forks its own. */
  em: EntityManager;
  cache: Cache;
  clock: Clock;
  metrics?: SessionMetrics;
}

/** An avatar URL names one image for good (its hash), so browsers may keep it for a year. */
const IMMUTABLE = 'private, max-age=31536000, immutable';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * Uploads a minute per session: each is decoded and encoded again (tens of milliseconds of CPU at
 * most), far beyond what a person choosing a picture needs, and a bound on what one session costs.
 */
export const AVATAR_UPLOADS_PER_MINUTE = 20;

/**
 * Avatars over plain HTTP, since tRPC carries JSON only: `PUT /avatars` (the image file as the raw
 * body), `DELETE /avatars`, and `GET /avatars/<userId>/<hash prefix>` for any signed-in person.
 * Upload and delete are cookie-authenticated state changes, so they pass the same CSRF rule as tRPC
 * mutations (DESIGN.md, security model) before any of the body is read. What the services throw
 * (bad bytes, a database outage) goes on to the app's error map (http/errors.ts), as tRPC's would.
 */
export function avatarRoutes({ settings, em: rootEm, cache, clock, metrics }: AvatarRoutesDeps): Router {
  const router = Router();
  const cookies = cookiePolicy(settings.publicUrl);
  type Signed = Request & { session?: ActiveSession; em?: EntityManager };

  // Avatars belong to profiles: either switch off, and the routes are not there (404 with the reason;
  // 412 would claim a failed conditional header).
  const off = settings.features.off.userProfiles ?? settings.features.off.avatarStorage;
  router.use((_req, res, next) => {
    if (off) return refuse(res, 404, off);
    next();
  });

  // The rule app.ts applies to /trpc: a state change that carries the session cookie must come
  // from this site with the CSRF header; without the cookie it carries no one's authority.
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.cookies?.[cookies.session] === undefined) return next();
    const refusal = csrfRefusal(req, settings.publicUrl);
    if (refusal) return refuse(res, 403, refusal);
    next();
  });

  // Express 5 passes a rejected handler's error to next(), and so to the error map.
  const signedIn: RequestHandler = async (req: Signed, res, next) => {
    const em = rootEm.fork();
    const session = await resolveSession(sessionDeps({ em, cache, clock, settings, metrics }), req.cookies?.[cookies.session]);
    if (!session) return refuse(res, 401, 'Sign in first: there is no valid session');
    req.session = session;
    req.em = em;
    next();
  };

  const uploads = rateLimit({
    windowMs: 60_000,
    limit: AVATAR_UPLOADS_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: rateLimitStore(cache, 'avatar-upload'),
    keyGenerator: (req: Signed) => `session:${req.session!.sessionId}`,
    handler: (req: Signed, res) => {
      req.log.warn({ userId: req.session!.userId }, 'Avatar upload rate limit reached');
      refuse(res, 429, `Too many avatar uploads from this session: at most ${AVATAR_UPLOADS_PER_MINUTE} a minute. Try again in ${res.getHeader('retry-after')} s.`);
    },
  });

  router.put(
    '/',
    signedIn,
    // Counted before the body is read: a refused upload costs neither the read nor the decode.
    uploads,
    // Only here, after the checks above: strangers cannot make the server read a megabyte. Any
    // Content-Type is read, since the type comes from the bytes; no gzip, so the limit is the size.
    express.raw({ type: () => true, limit: AVATAR_MAX_BYTES, inflate: false }),
    async (req: Signed, res) => {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const profile = await storeAvatar(profileDeps({ em: req.em!, cache, clock, settings }), req.session!.userId, bytes);
      req.log.info({ userId: req.session!.userId, size: bytes.length }, 'Avatar stored');
      res.set('Cache-Control', 'no-store').json(profile);
    },
  );

  router.delete('/', signedIn, async (req: Signed, res) => {
    const profile = await deleteAvatar(profileDeps({ em: req.em!, cache, clock, settings }), req.session!.userId);
    res.set('Cache-Control', 'no-store').json(profile);
  });

  router.get('/:userId/:hash', signedIn, async (req: Signed, res) => {
    const { userId, hash } = req.params as { userId: string; hash: string };
    const avatar = UUID.test(userId) ? await loadAvatar(req.em!, userId.toLowerCase(), hash) : null;
    if (!avatar) return refuse(res, 404, 'No such avatar: the person has none, or has replaced it (take avatarUrl from the profile again)');
    res.set({
      'Content-Type': avatar.contentType,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': IMMUTABLE,
      ETag: `"${avatar.sha256}"`,
    });
    // res.send answers 304 itself when If-None-Match holds this ETag.
    res.send(avatar.bytes);
  });

  // body-parser's refusals in words, with this route's own limit (the app's handler names tRPC's).
  const bodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error?.type === 'entity.too.large') {
      return refuse(res, 413, `The image is larger than ${AVATAR_MAX_BYTES} bytes (1 MiB), the most an avatar may be`);
    }
    if (error?.type === 'encoding.unsupported') {
      return refuse(res, 415, 'Send the image as it is, without Content-Encoding');
    }
    next(error);
  };
  router.use(bodyErrors);
  return router;
}
