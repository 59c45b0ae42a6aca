import type { EntityManager } from '@mikro-orm/postgresql';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { Request, Response } from 'express';
import type { FeatureSet, Settings } from '../config';
import type { Cache } from '../cache/cache';
import { cookiePolicy } from '../http/cookies';
import { systemClock, type Clock } from '../lib/clock';
import type { Metrics } from '../metrics/metrics';
import { mappedError } from './error-map';
import { cookieLifetimeMs } from '../modules/sessions/sessions.lifetime';
import { resolveSession } from '../modules/sessions/sessions.validate';
import { sessionDeps, type ActiveSession } from '../modules/sessions/sessions.store';
import type { RegistryRuntime } from '../modules/registry/registry.service';
import { ephemeralRegistryRuntime } from '../modules/registry/registry.runtime';
import { apiKeyDeps, authenticateApiKey, type KeyCheck } from '../modules/apikeys/apikeys.service';
import type { BearerCaller } from '../modules/apikeys/caller';
import { presentedCredential } from '../http/bearer';
import { AppError } from '../errors';

/** Sets or clears the browser's session cookie from a procedure (rotation, revoking one's own session). */
export interface SessionCookie {
  set(token: string, maxAgeMs: number): void;
  clear(): void;
}

export interface ContextInner {
  settings: Settings;
  /** `settings.features`, computed at boot: what the feature middleware and `config.features` read. */
  features: FeatureSet;
  cache: Cache;
  /** This request's own EntityManager, forked from the ORM's: never shared between requests. */
  em: EntityManager;
  clock: Clock;
  /** The live session behind the request's cookie, or null when signed out (or calling with a bearer key). */
  session: ActiveSession | null;
  /** Who an `Authorization: Bearer` request acts for (an API key's owner in its tenant); null otherwise. */
  bearer: BearerCaller | null;
  sessionCookie: SessionCookie;
  /** Where calls are counted; absent for callers without an app (createCaller in tests). */
  metrics?: Metrics;
  /** The MCP server registry's upstream policy and secret box. */
  registry: RegistryRuntime;
}

/** For callers without a browser (createCaller in tests, scripts): there is no cookie to set. */
const noBrowser: SessionCookie = { set() {}, clear() {} };

/** The context without Express: what tests build for `createCaller`. */
export function createContextInner(
  inner: Omit<ContextInner, 'features' | 'clock' | 'sessionCookie' | 'registry' | 'bearer'> &
    Partial<Pick<ContextInner, 'clock' | 'sessionCookie' | 'registry' | 'bearer'>>,
): ContextInner {
  return {
    features: inner.settings.features,
    clock: systemClock,
    sessionCookie: noBrowser,
    registry: ephemeralRegistryRuntime(inner.settings),
    bearer: null,
    ...inner,
  };
}

type ContextDeps = Omit<ContextInner, 'features' | 'session' | 'sessionCookie' | 'bearer'>;

/** What a /trpc request holds of its own before its context exists. */
export interface RequestSession {
  /** The request's EntityManager, forked from the ORM's. */
  em: EntityManager;
  sessionCookie: SessionCookie;
  /**
   * The live session behind the cookie, looked up on first use and then remembered; rejects while
   * a token the cache does not know needs the database and it is down. Null for a bearer request,
   * whose cookie (if any) is not looked at.
   */
  session(): Promise<ActiveSession | null>;
  /** The bearer credential's check, looked up on first use; null when the request has none. */
  bearer(): Promise<KeyCheck | null>;
}

/**
 * The request's session, looked up once: the /trpc rate limit keys on it before tRPC runs, and the
 * context then reads the same lookup.
 */
export function requestSessions(deps: ContextDeps): (req: Request, res: Response) => RequestSession {
  const cookies = cookiePolicy(deps.settings.publicUrl);
  const made = new WeakMap<Request, RequestSession>();
  return (req, res) => {
    const known = made.get(req);
    if (known) return known;
    const em = deps.em.fork();
    const sessionCookie: SessionCookie = {
      set: (token, maxAgeMs) => res.cookie(cookies.session, token, cookies.options(maxAgeMs)),
      clear: () => res.clearCookie(cookies.session, cookies.options()),
    };
    const presented = presentedCredential(req);
    let checked: Promise<KeyCheck | null> | undefined;
    const bearer = () =>
      (checked ??=
        presented.kind === 'none'
          ? Promise.resolve(null)
          : presented.kind === 'malformed'
            ? Promise.resolve({ ok: false, reason: 'malformed', message: presented.message } as const)
            : authenticateApiKey(apiKeyDeps({ ...deps, em }), presented.token));
    let lookup: Promise<ActiveSession | null> | undefined;
    const session = () =>
      presented.kind !== 'none'
        ? Promise.resolve(null)
        : (lookup ??= resolveSession(sessionDeps({ ...deps, em }), req.cookies?.[cookies.session], {
        // A role change since the token was issued: this response carries the new one.
        rotate: (token, active) => sessionCookie.set(token, cookieLifetimeMs(active, deps.settings.sessionLifetime, deps.clock())),
      }));
    const fresh: RequestSession = { em, sessionCookie, session, bearer };
    made.set(req, fresh);
    return fresh;
  };
}

/** The per-request context behind /trpc (create-t3-app's inner/outer split). */
export function contextFactory(deps: ContextDeps, sessionOf = requestSessions(deps)) {
  return async ({ req, res }: CreateExpressContextOptions): Promise<ContextInner> => {
    const { em, sessionCookie, session: lookup, bearer: check } = sessionOf(req, res);
    // A session or key the cache does not know needs the database: while it is down, say so (503),
    // as the procedures would; tRPC turns anything else thrown here into a 500.
    const [session, bearer] = await Promise.all([lookup(), check()]).catch((error: unknown) => {
      throw mappedError(error) ?? error;
    });
    if (bearer && !bearer.ok) throw mappedError(new AppError('UNAUTHORIZED', bearer.message))!;
    return { ...deps, features: deps.settings.features, em, session, sessionCookie, bearer: bearer?.caller ?? null };
  };
}

export type Context = ContextInner;
