/**
 * Scenario 5: what a session lookup costs on a cache miss (`resolveSession` reads the database and
 * fills the cache again) with a small and a large `enhanced_sessions` table, in one process, in
 * alternating blocks so that machine noise falls on both alike. The other sessions are seeded in
 * bulk with generate_series, spread over the demo users, with every index of the migrations in place.
 */
import { tmpdir } from 'node:os';
import type { Cache } from '../server/src/cache/cache';
import { createCache } from '../server/src/cache/create';
import { parseSettings } from '../server/src/config';
import { openDatabase, type Database } from '../server/src/db/database';
import { DEMO_USERS } from '../server/src/identity/demo-directory';
import { manualClock } from '../server/src/lib/clock';
import { createLogger } from '../server/src/logger';
import { hashToken } from '../server/src/lib/tokens';
import { resolveSession } from '../server/src/modules/sessions/sessions.validate';
import type { ScratchDatabase } from '../server/src/testing/databases';
import { seedSession } from './seed-session';

export interface Percentiles {
  p50: number;
  p99: number;
  samples: number;
}

export interface MissFigures {
  smallRows: number;
  largeRows: number;
  /** Microseconds per lookup. */
  small: Percentiles;
  large: Percentiles;
  seedSeconds: number;
}

const logger = createLogger('silent');
const lifetime = parseSettings({}).sessionLifetime;
const BLOCK = 100;

interface Target {
  db: Database;
  cache: Cache;
  token: string;
  samples: number[];
}

async function prepare(scratch: ScratchDatabase, rows: number, redisUrl: string, namespace: string, now: Date): Promise<Target> {
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir: tmpdir(), statementTimeoutMs: 10 * 60_000, logger });
  const token = await seedSession(db, lifetime, now);
  const ada = DEMO_USERS[0]!;
  // The other sessions: live, with distinct token hashes, spread over the demo users and their tenants.
  const connection = db.orm.em.getConnection();
  await connection.execute(
    `insert into enhanced_sessions (user_id, session_token, oauth_token_hash, user_agent, ip_address, tenant_context, last_activity, expires_at, created_at)
     select u.id, encode(sha256(('bench-' || i)::text::bytea), 'hex'), encode(sha256(('oauth-' || i)::text::bytea), 'hex'), 'bench', '127.0.0.1',
            jsonb_build_object('tenantId', ?::text), now(), now() + interval '1 day', now()
     from generate_series(1, ?) as i
     join (select id, row_number() over (order by id) - 1 as n, count(*) over () as total from users) u on u.n = i % u.total`,
    [ada.tid, rows - 1],
  );
  await connection.execute('vacuum analyze enhanced_sessions');
  const [counted] = await connection.execute<{ count: string }[]>('select count(*) from enhanced_sessions');
  const count = Number(counted?.count);
  if (count !== rows) throw new Error(`seeded ${count} sessions, not ${rows}`);
  const cache = await createCache({ redisUrl, logger, namespace });
  await cache.ping();
  return { db, cache, token, samples: [] };
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), samples: samples.length };
}

export async function measureMisses(options: {
  small: ScratchDatabase;
  large: ScratchDatabase;
  smallRows: number;
  largeRows: number;
  redisUrl: string;
  namespace: string;
  iterations: number;
}): Promise<MissFigures> {
  // The clock stands still a second after sign-in: no activity write is due, as within any second of use.
  const clock = manualClock();
  const seedStarted = performance.now();
  const small = await prepare(options.small, options.smallRows, options.redisUrl, `${options.namespace}_small`, clock());
  const large = await prepare(options.large, options.largeRows, options.redisUrl, `${options.namespace}_large`, clock());
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  clock.advance(1000);
  try {
    const blocks = Math.ceil(options.iterations / BLOCK);
    for (let block = -2; block < blocks; block++) {
      for (const target of [small, large]) {
        const key = `session:${hashToken(target.token)}`;
        for (let i = 0; i < BLOCK; i++) {
          await target.cache.delete(key);
          const deps = { em: target.db.orm.em.fork(), cache: target.cache, tenantCache: target.cache, clock, lifetime };
          const started = process.hrtime.bigint();
          const session = await resolveSession(deps, target.token);
          const us = Number(process.hrtime.bigint() - started) / 1000;
          if (!session) throw new Error('the cache-miss lookup found no session: it measured nothing');
          // The first two blocks warm up the pools and the plans.
          if (block >= 0) target.samples.push(us);
        }
      }
    }
    return { smallRows: options.smallRows, largeRows: options.largeRows, small: percentiles(small.samples), large: percentiles(large.samples), seedSeconds };
  } finally {
    for (const target of [small, large]) {
      await target.cache.close();
      await target.db.close();
    }
  }
}
