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

export async function createScratchDatabase(adminUrl: string, name: string): Promise<ScratchDatabase> {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  await admin(adminUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => {}),
  };
}

/** Drops every database whose name starts with `prefix` (what a crashed run left behind). */
export async function dropScratchDatabases(adminUrl: string, prefix: string): Promise<void> {
  await admin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  });
}
