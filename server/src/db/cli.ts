import { ConfigError, loadSettings } from '../config';
import { createLogger } from '../logger';
import { describeDatabase, openDatabase } from './database';

/** `pnpm db:migrate` applies every pending migration; `pnpm db:rollback` undoes the last one. */
const command = process.argv[2];
if (command !== 'up' && command !== 'down') {
  console.error('usage: tsx server/src/db/cli.ts up|down (or pnpm db:migrate, pnpm db:rollback)');
  process.exit(2);
}

// Ctrl+C ends the process through process.exit, whose hook stops an embedded PostgreSQL it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

try {
  const settings = loadSettings();
  const logger = createLogger(settings.logLevel === 'info' ? 'warn' : settings.logLevel);
  const db = await openDatabase({
    databaseUrl: settings.databaseUrl,
    dataDir: settings.dataDir,
    statementTimeoutMs: settings.databaseStatementTimeoutMs,
    logger,
  });
  const where = describeDatabase(settings.databaseUrl, settings.dataDir);
  try {
    const done = command === 'up' ? await db.migrate() : await db.rollback();
    const verb = command === 'up' ? 'Applied' : 'Rolled back';
    console.log(done.length === 0 ? `Nothing to do (${where})` : `${verb} ${done.join(', ')} (${where})`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? `Invalid configuration:\n${error.problems.join('\n')}`
      : `Migration failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
