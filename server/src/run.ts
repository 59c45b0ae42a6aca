import { ConfigError, loadSettings, type Settings } from './config';
import { createLogger } from './logger';
import { CLUSTER_STOP_MS } from './db/postgres-cluster';
import { SHUTDOWN_GRACE_MS, startServer, type RunningServer, type StartOptions } from './server';

/**
 * The process around the server: settings, then the server, then a clean stop on SIGTERM or SIGINT
 * (draining first when MREG_SHUTDOWN_DRAIN_SECONDS says so). main.ts runs it; the topology tests run
 * it with sign-in's outbound requests sent to a stand-in for Entra ID.
 */
export async function runProcess(options: StartOptions = {}): Promise<void> {
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
  // A stop gets the drain, the HTTP grace period, then the embedded PostgreSQL's own stop, and a little more.
  const deadlineMs = settings.shutdownDrainMs + SHUTDOWN_GRACE_MS + CLUSTER_STOP_MS + 2000;
  // A signal while starting (creating the cluster, recovery, migrations) ends the process through
  // process.exit, whose exit hook stops an embedded PostgreSQL already running.
  let running: RunningServer | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (!running) {
      logger.info({ signal }, 'Stopped while starting');
      process.exit(1);
    }
    logger.info({ signal }, 'Shutting down');
    const deadline = setTimeout(() => {
      logger.error(`Shutdown took longer than ${deadlineMs / 1000} s; exiting`);
      process.exit(1);
    }, deadlineMs);
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
  try {
    running = await startServer(settings, logger, options);
  } catch (error) {
    // One readable line; the stack only when debugging.
    process.stderr.write(`MREG cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    logger.debug({ err: error }, 'MREG cannot start');
    process.exit(1);
  }
}
