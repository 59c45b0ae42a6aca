import type { EntityManager } from '@mikro-orm/postgresql';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { Settings } from '../config';
import type { Cache } from '../cache/cache';
import { cookiePolicy } from '../http/cookies';
import { findActiveSession, type ActiveSession } from '../modules/sessions/sessions.service';

export interface ContextInner {
  settings: Settings;
  cache: Cache;
  /** This request's own EntityManager, forked from the ORM's: never shared between requests. */
  em: EntityManager;
  /** The live session behind the request's cookie, or null when signed out. */
  session: ActiveSession | null;
}

/** The context without Express: what tests build for `createCaller`. */
export function createContextInner(inner: ContextInner): ContextInner {
  return inner;
}

/** The per-request context behind /trpc (create-t3-app's inner/outer split). */
export function contextFactory(deps: Omit<ContextInner, 'session'>) {
  const cookies = cookiePolicy(deps.settings.publicUrl);
  return async ({ req }: CreateExpressContextOptions) => {
    const em = deps.em.fork();
    const session = await findActiveSession(em, req.cookies?.[cookies.session]);
    return createContextInner({ settings: deps.settings, cache: deps.cache, em, session });
  };
}

export type Context = ContextInner;
