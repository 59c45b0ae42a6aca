import { hostname } from 'node:os';

/**
 * This process among the instances sharing a database: host name and process id. Kept where
 * instances take turns (scheduled_runs.last_instance), for operators; never sent to clients.
 */
export const INSTANCE_ID = `${hostname()}:${process.pid}`;
