import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * A fresh PostgreSQL database on the server behind `adminUrl`, for one test file or one e2e run,
 * and the way to drop it (with FORCE: a test that failed may leave connections open).
 */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
}

export async function createScratchDatabase(adminUrl: string, name: string): Promise<ScratchDatabase> {
  await admin(adminUrl, (client) => client.query(`create database ${client.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(adminUrl, (client) => dropDatabase(client, name)),
  };
}

/** Throws, naming the variable, when the administrative connection cannot be made. */
export async function assertReachable(adminUrl: string, variable: string): Promise<void> {
  try {
    await admin(adminUrl, async () => {});
  } catch (error) {
    throw new Error(`${variable}: cannot connect (${(error as Error).message})`, { cause: error });
  }
}

/** Drops every database whose name starts with `prefix` (what a crashed run left behind). */
export async function dropScratchDatabases(adminUrl: string, prefix: string): Promise<void> {
  await admin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await dropDatabase(client, datname);
  });
}

/** Deletes every Redis key starting with `prefix` (what a test run or a test server left). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
