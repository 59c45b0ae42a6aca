import { Router } from 'express';
import type { Logger } from 'pino';
import type { Cache } from '../cache/cache';
import type { Database } from '../db/database';
import { withTimeout } from '../lib/timeout';
import type { Lifecycle } from './lifecycle';

const CHECK_TIMEOUT_MS = 2000;

/** 'ok', or 'unavailable' with the reason logged: driver messages name hosts and users, so they stay out of the answer. */
async function check(name: string, run: () => Promise<void>, logger: Logger): Promise<'ok' | 'unavailable'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    logger.warn({ check: name, err: error instanceof Error ? error.message : String(error) }, `/readyz: ${name} unavailable`);
    return 'unavailable';
  }
}

/**
 * `/healthz`: the process is up. `/readyz`: the database and the cache answer, each checked in
 * parallel; 503 "stopping" once the instance drains, whatever they answer.
 */
export function healthRoutes({ db, cache, logger, lifecycle }: { db: Database; cache: Cache; logger: Logger; lifecycle: Pick<Lifecycle, 'draining'> }): Router {
  const routes = Router();
  routes.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  routes.get('/readyz', async (_req, res) => {
    if (lifecycle.draining) {
      res.status(503).set('Cache-Control', 'no-store').json({ status: 'stopping' });
      return;
    }
    const [database, cacheState] = await Promise.all([
      check('database', () => db.ping(CHECK_TIMEOUT_MS), logger),
      check('cache', () => withTimeout(cache.ping(), CHECK_TIMEOUT_MS, `The cache (${cache.kind})`), logger),
    ]);
    const ready = database === 'ok' && cacheState === 'ok';
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'unavailable', checks: { database, cache: cacheState } });
  });
  return routes;
}
