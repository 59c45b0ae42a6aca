import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

/** A port that was free a moment ago: nothing listens there (for an unreachable Redis, say). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** Lines the server printed on stdout so far. */
  stdout: string[];
  stderr: string;
  exit: Promise<number | null>;
  /** The address from the server's "MREG listening" line. */
  listening(timeoutMs?: number): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `--import` argument that lets a plain `node` run TypeScript (tsx), from any working directory. */
export const TSX_IMPORT = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Runs an MREG server as its own process with only the MREG_ variables given here: the caller's
 * MREG_ environment is dropped, and `cwd` should be a directory without a .env file (the server
 * reads .env from its working directory).
 */
export function spawnServer(args: string[], env: Record<string, string | undefined>, cwd: string): ServerProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MREG_')));
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...inherited, MREG_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const run: ServerProcess = {
    child,
    stdout: [],
    stderr: '',
    exit,
    async listening(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const line = run.stdout.find((l) => l.includes('"MREG listening"'));
        if (line) return JSON.parse(line).url as string;
        if (child.exitCode !== null) throw new Error(`MREG exited with ${child.exitCode}:\n${run.stderr}${run.stdout.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`MREG did not start within ${timeoutMs} ms:\n${run.stderr}${run.stdout.join('\n')}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
  let partial = '';
  child.stdout!.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    run.stdout.push(...lines);
  });
  child.stderr!.on('data', (chunk) => (run.stderr += chunk));
  return run;
}

/** A program a test runs beside MREG (redis-server, a sentinel, HAProxy), on 127.0.0.1. */
export interface ChildServer {
  child: ChildProcess;
  /** What it printed so far (for a failure's message). */
  output(): string;
  /** SIGKILL, then waits for the exit (at once when it never ran or has ended). */
  kill(): Promise<void>;
}

/**
 * Runs `command` and waits until `ready` says it is: it looks at what the program printed, or asks it.
 * A program that exits first, or is not ready within `timeoutMs`, is killed and its output thrown;
 * one that cannot be run at all (it emits 'error' and never 'exit') is named with `missing`, the
 * way to install it.
 */
export async function startChild(
  command: string,
  args: string[],
  { ready, timeoutMs = 5000, missing }: { ready: (output: string) => boolean | Promise<boolean>; timeoutMs?: number; missing: string },
): Promise<ChildServer> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let failed: Error | undefined;
  const exit = new Promise((resolve) => {
    child.on('exit', resolve);
    child.on('error', (error) => {
      failed = error;
      resolve(undefined);
    });
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const server: ChildServer = {
    child,
    output: () => output,
    async kill() {
      if (failed || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
  // A program that could not be started has no pid; its 'error' comes on a later tick.
  if (child.pid === undefined) await exit;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (failed) throw new Error(`${command} could not be run (${failed.message}): ${missing}`);
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${output}`);
    if (await ready(output)) return server;
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(`${command} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
