import { ConfigError, loadSettings, type Settings } from './config';
import { createLogger } from './logger';
import { startServer, type RunningServer } from './server';

/** Entry point: settings, then the server, then a clean stop on SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`MREG cannot start: invalid configuration\n${error.problems.join('\n')}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(settings.logLevel);
  let running: RunningServer;
  try {
    running = await startServer(settings, logger);
  } catch (error) {
    // One readable line; the stack only when debugging.
    process.stderr.write(`MREG cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    logger.debug({ err: error }, 'MREG cannot start');
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    const deadline = setTimeout(() => {
      logger.error('Shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    deadline.unref();
    running.stop().then(
      () => {
        logger.info('Stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

await main();
