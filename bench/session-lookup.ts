/**
 * What every signed-in request costs first: the session lookup (`resolveSession`, as the tRPC
 * context calls it) on a cache hit, on a cache miss (rebuilt from the database and cached again),
 * and with the cache switched off, on PostgreSQL + Redis and on embedded PostgreSQL + the in-process
 * cache, measured side by side in one run, in alternating blocks so that machine noise falls on
 * all of them alike.
 *
 *   pnpm bench [iterations]          (default 3000 per measurement)
 *
 * MREG_BENCH_DATABASE_URL and MREG_BENCH_REDIS_URL name the servers (default: the local ones); a
 * scratch database and a Redis namespace of its own are made and removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cache } from '../server/src/cache/cache';
import { createCache } from '../server/src/cache/create';
import { openDatabase, type Database } from '../server/src/db/database';
import { manualClock } from '../server/src/lib/clock';
import { createLogger } from '../server/src/logger';
import { hashToken } from '../server/src/lib/tokens';
import { resolveSession } from '../server/src/modules/sessions/sessions.validate';
import type { SessionDeps } from '../server/src/modules/sessions/sessions.store';
import { parseSettings } from '../server/src/config';
import { createScratchDatabase, deleteRedisKeys } from '../server/src/testing/databases';
import { seedSession } from './seed-session';

const iterations = Number(process.argv[2] ?? 3000);
const BLOCK = 100;
const databaseUrl = process.env.MREG_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.MREG_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger('silent');
const lifetime = parseSettings({}).sessionLifetime;

interface Target {
  name: string;
  db: Database;
  cache: Cache;
  close(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const name = `mreg_bench_${randomBytes(4).toString('hex')}`;
  const scratch = await createScratchDatabase(databaseUrl, name);
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir: tmpdir(), statementTimeoutMs: 5000, logger });
  const cache = await createCache({ redisUrl, logger, namespace: name });
  await cache.ping();
  return {
    name: 'PostgreSQL + Redis',
    db,
    cache,
    async close() {
      await cache.close();
      await db.close();
      await scratch.drop();
      await deleteRedisKeys(redisUrl, `${name}:`);
    },
  };
}

async function embeddedTarget(): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-bench-'));
  const db = await openDatabase({ databaseUrl: undefined, dataDir, statementTimeoutMs: 5000, logger });
  const cache = await createCache({ redisUrl: undefined, logger });
  return {
    name: 'embedded PostgreSQL + in-process',
    db,
    cache,
    async close() {
      await cache.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type Kind = 'one cache read' | 'cache hit' | 'cache miss' | 'no cache';

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { mean, p50: at(0.5), p99: at(0.99) };
}

async function measure(target: Target): Promise<Map<Kind, number[]>> {
  // A second after sign-in the clock stands still: after the first lookup no activity write (nor
  // a rewrite of the cache's activity record) is due, as within any second of real use.
  const clock = manualClock();
  const token = await seedSession(target.db, lifetime, clock());
  clock.advance(1000);
  const key = `session:${hashToken(token)}`;
  // The tenant context is cached with the session (MREG_FASTMCP_TENANT_CONTEXT_CACHING) or read with it.
  const deps = (cache: Cache | undefined): SessionDeps => ({ em: target.db.orm.em.fork(), cache, tenantCache: cache, clock, lifetime });
  const lookup: Record<Kind, () => Promise<number>> = {
    // The floor a hit stands on: one read of the cache, nothing else.
    'one cache read': async () => time(() => target.cache.getMany([key])),
    'cache hit': async () => time(() => resolveSession(deps(target.cache), token)),
    'cache miss': async () => {
      await target.cache.delete(key);
      return time(() => resolveSession(deps(target.cache), token));
    },
    'no cache': async () => time(() => resolveSession(deps(undefined), token)),
  };
  const samples = new Map<Kind, number[]>(Object.keys(lookup).map((kind) => [kind as Kind, []]));
  for (let round = 0; round < 2; round++) {
    const warmup = round === 0;
    const blocks = warmup ? 2 : Math.ceil(iterations / BLOCK);
    for (let block = 0; block < blocks; block++) {
      for (const [kind, run] of Object.entries(lookup) as [Kind, () => Promise<number>][]) {
        for (let i = 0; i < BLOCK; i++) {
          const us = await run();
          if (!warmup) samples.get(kind)!.push(us);
        }
      }
    }
  }
  return samples;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  const session = await run();
  const us = Number(process.hrtime.bigint() - started) / 1000;
  if (!session) throw new Error('the session lookup found no session: the benchmark measured nothing');
  return us;
}

const rows: string[][] = [];
const ratios: string[] = [];
for (const open of [postgresTarget, embeddedTarget]) {
  let target: Target;
  try {
    target = await open();
  } catch (error) {
    console.error(`${open.name}: cannot start (${(error as Error).message}); left out`);
    continue;
  }
  try {
    const samples = await measure(target);
    const figures = new Map([...samples].map(([kind, list]) => [kind, stats(list)]));
    for (const [kind, s] of figures) {
      rows.push([target.name, kind, s.mean.toFixed(0), s.p50.toFixed(0), s.p99.toFixed(0), String(samples.get(kind)!.length)]);
    }
    const hit = figures.get('cache hit')!;
    const miss = figures.get('cache miss')!;
    const read = figures.get('one cache read')!;
    ratios.push(`${target.name}: a miss costs ${(miss.p50 / hit.p50).toFixed(1)}x a hit (p50), ${(miss.mean / hit.mean).toFixed(1)}x (mean); a hit costs ${(hit.p50 / read.p50).toFixed(1)}x one cache read (p50)`);
  } finally {
    await target.close();
  }
}

const header = ['stores', 'lookup', 'mean us', 'p50 us', 'p99 us', 'samples'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`Session lookup (resolveSession), ${iterations} lookups each, node ${process.version}`);
console.log(line(header));
for (const row of rows) console.log(line(row));
for (const ratio of ratios) console.log(ratio);
if (rows.length === 0) process.exitCode = 1;
