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
