import type { ChildProcess } from 'node:child_process';
import { freePort, startChild } from './processes';

/** Debian's redis-server, for the tests' own Redis servers and sentinels. */
export const REDIS_SERVER = '/usr/bin/redis-server';
/** What redis-server prints once it takes connections. */
export const REDIS_READY = 'Ready to accept connections';
export const REDIS_MISSING = "the tests need Debian's redis-server; run `node scripts/ensure-packages.mjs` (pnpm test does)";

/**
 * A redis-server of a test's own on a free loopback port (never the shared one, which other runs
 * use): no persistence, so a restart starts empty, as after losing the instance. Runs the same way
 * in both CI modes.
 */
export interface ThrowawayRedis {
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

export async function startThrowawayRedis(port?: number): Promise<ThrowawayRedis> {
  const chosen = port ?? (await freePort());
  const { child, kill } = await startChild(REDIS_SERVER, ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    ready: (output) => output.includes(REDIS_READY),
    missing: REDIS_MISSING,
  });
  return { port: chosen, url: `redis://127.0.0.1:${chosen}`, child, kill };
}
