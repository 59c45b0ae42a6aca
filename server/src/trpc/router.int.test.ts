import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFactory, createContextInner } from './context';
import { createCaller } from './router';
import { systemClock } from '../lib/clock';
import { captureLogger, createDatabaseTarget, testCache, testSettings, type DatabaseTarget } from '../testing/harness';
import { openDatabase, type Database } from '../db/database';
import type { Cache } from '../cache/cache';

let target: DatabaseTarget;
let db: Database;
let cache: Cache;

beforeAll(async () => {
  target = await createDatabaseTarget();
  db = await openDatabase({ ...target, logger: captureLogger().logger });
  cache = await testCache();
});
afterAll(async () => {
  await cache.close();
  await db.close();
  await target.drop();
});

describe('tRPC', () => {
  it('config.features reports the settings, through createCaller', async () => {
    const settings = testSettings({ MREG_FASTMCP_TENANT_SWITCHING_ENABLED: '0', MREG_FASTMCP_PREFERENCES_STORAGE: 'both', MREG_REDIS_URL: 'redis://127.0.0.1:1' });
    const caller = createCaller(createContextInner({ settings, cache, em: db.orm.em.fork(), session: null }));
    expect(await caller.config.features()).toEqual({
      enhancedAuth: true,
      userProfiles: true,
      sessionManagement: true,
      avatarStorage: true,
      tenantSwitching: false,
      tenantContextCaching: true,
      roleBasedUi: true,
      preferencesStorage: 'both',
      signIn: 'development',
    });
  });

  it('refuses auth.user without a session: UNAUTHORIZED', async () => {
    const caller = createCaller(createContextInner({ settings: testSettings(), cache, em: db.orm.em.fork(), session: null }));
    await expect(caller.auth.user()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('gives every request its own EntityManager, never the global one', async () => {
    const createContext = contextFactory({ settings: testSettings(), cache, em: db.orm.em, clock: systemClock });
    const request = () => ({ req: { cookies: {} }, res: {}, info: {} }) as unknown as Parameters<typeof createContext>[0];
    const one = await createContext(request());
    const two = await createContext(request());
    expect(one.em).not.toBe(two.em);
    expect(one.em).not.toBe(db.orm.em);
    expect(one.em.id).not.toBe(two.em.id);
  });
});
