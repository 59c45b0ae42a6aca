import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings } from '../config';
import type { Cache } from '../cache/cache';

export interface ContextInner {
  settings: Settings;
  cache: Cache;
  /** This request's own EntityManager, forked from the ORM's: never shared between requests. */
  em: EntityManager;
}

/** The context without Express: what tests build for `createCaller`. */
export function createContextInner(inner: ContextInner): ContextInner {
  return inner;
}

/** The per-request context behind /trpc (create-t3-app's inner/outer split). */
export function contextFactory(deps: ContextInner) {
  return () => createContextInner({ settings: deps.settings, cache: deps.cache, em: deps.em.fork() });
}

export type Context = ContextInner;
