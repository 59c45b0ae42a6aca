import { Router } from 'express';
import type { Cache } from '../cache/cache';
import type { Database } from '../db/database';
import { withTimeout } from '../db/database';

const CHECK_TIMEOUT_MS = 2000;

async function check(run: () => Promise<void>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return `unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** `/healthz`: the process is up. `/readyz`: the database and the cache answer, each checked in parallel. */
export function healthRoutes({ db, cache }: { db: Database; cache: Cache }): Router {
  const routes = Router();
  routes.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  routes.get('/readyz', async (_req, res) => {
    const [database, cacheState] = await Promise.all([
      check(() => db.ping(CHECK_TIMEOUT_MS)),
      check(() => withTimeout(cache.ping(), CHECK_TIMEOUT_MS, `The cache (${cache.kind})`)),
    ]);
    const ready = database === 'ok' && cacheState === 'ok';
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'unavailable', checks: { database, cache: cacheState } });
  });
  return routes;
}
