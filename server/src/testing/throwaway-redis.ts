import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './processes';

const REDIS_SERVER = '/usr/bin/redis-server';

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
  const child = spawn(REDIS_SERVER, ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise((resolve) => child.on('exit', resolve));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 5000;
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on ${chosen}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}
