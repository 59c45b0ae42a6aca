import { ConfigError, loadSettings } from '../config';
import { createLogger } from '../logger';
import { openDatabase, redactUrl } from './database';

/** `pnpm db:migrate` applies every pending migration; `pnpm db:rollback` undoes the last one. */
const command = process.argv[2];
if (command !== 'up' && command !== 'down') {
  console.error('usage: tsx server/src/db/cli.ts up|down (or pnpm db:migrate, pnpm db:rollback)');
  process.exit(2);
}

try {
  const settings = loadSettings();
  const logger = createLogger(settings.logLevel === 'info' ? 'warn' : settings.logLevel);
  const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, logger });
  const where = settings.databaseUrl ? redactUrl(settings.databaseUrl) : `embedded PGlite in ${settings.dataDir}`;
  try {
    const migrator = db.orm.getMigrator();
    const done = command === 'up' ? await migrator.up() : await migrator.down();
    const verb = command === 'up' ? 'Applied' : 'Rolled back';
    console.log(done.length === 0 ? `Nothing to do (${where})` : `${verb} ${done.map((m) => m.name).join(', ')} (${where})`);
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
