/**
 * The peer: better-auth in Express 5 on PostgreSQL (pg Pool, better-auth's Kysely dialect) and Redis
 * as its `secondaryStorage`, as its docs set them up. Creates its tables with `getMigrations`, then
 * prints `LISTENING <url>`; `GET /api/auth/get-session` is what the benchmark loads.
 *
 *   BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_NAMESPACE (Redis key prefix, ending in ':')
 */
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import express from 'express';
import { Redis } from 'ioredis';
import pg from 'pg';

const databaseUrl = process.env.BENCH_DATABASE_URL!;
const redisUrl = process.env.BENCH_REDIS_URL!;
const namespace = process.env.BENCH_NAMESPACE!;

const app = express();
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseURL = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const redis = new Redis(redisUrl, { keyPrefix: namespace });
const options = {
  baseURL,
  // A fixed secret: this instance lives for one benchmark run on loopback.
  secret: 'mreg-bench-peer-secret-not-for-any-real-use-0123456789',
  database: pool,
  secondaryStorage: {
    get: (key: string) => redis.get(key),
    getAndDelete: (key: string) => redis.getdel(key),
    // Only its rate limiter counts (switched off here); set on creation as the interface asks.
    increment: async (key: string, ttl: number) => {
      const [[, count]] = (await redis.multi().incr(key).expire(key, ttl, 'NX').exec()) as [[Error | null, number]];
      return count;
    },
    set: async (key: string, value: string, ttl?: number) => {
      if (ttl) await redis.set(key, value, 'EX', ttl);
      else await redis.set(key, value);
    },
    delete: async (key: string) => {
      await redis.del(key);
    },
  },
  emailAndPassword: { enabled: true },
  telemetry: { enabled: false },
  // Many sign-ups from one address in a benchmark are not an attack.
  rateLimit: { enabled: false },
};
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);
app.all('/api/auth/{*splat}', toNodeHandler(auth));
console.log(`LISTENING ${baseURL}`);

process.on('SIGTERM', () => {
  server.close(async () => {
    await pool.end();
    redis.disconnect();
    process.exit(0);
  });
});
