import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createScratchDatabase, type ScratchDatabase } from '@mreg/server/testing/databases';
import { freePort } from '@mreg/server/testing/processes';
import { databaseUrl, root, runId } from './settings';

// The servers a run starts and the scratch data it makes, each stopped or dropped however the run ends.

// Everything started here, so that a failure still stops it and drops it.
export const children = new Set<ChildProcess>();
export const cleanups: (() => Promise<void>)[] = [];
// Should this process die in a way the finally below never sees (an uncaught error, process.exit),
// no server outlives it; interrupted (Ctrl-C, a CI timeout), it stops them and drops what it made.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping the servers and dropping the scratch databases...`);
    for (const child of children) child.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    process.exit(1);
  });
}

export interface Started {
  child: ChildProcess;
  url: string;
  /** MREG's loopback /metrics listener. */
  metricsUrl?: string;
  /** Milliseconds from spawn to ready. */
  readyMs: number;
  output: () => string;
  stop(): Promise<void>;
}

export function startProcess(args: string[], env: Record<string, string | undefined>, cwd: string): { child: ChildProcess; output: () => string; startedAt: number } {
  // The caller's MREG_ settings never reach a server: each gets only what its scenario names.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MREG_') && !key.startsWith('BETTER_AUTH')));
  const startedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd, env: { ...inherited, BETTER_AUTH_TELEMETRY: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let text = '';
  // Keep only the tail: a server's output is for error messages, not for the record.
  const keep = (chunk: Buffer) => (text = (text + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => text, startedAt };
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function waitFor<T>(what: string, child: ChildProcess, output: () => string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${output()}`);
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${output()}`);
}

/**
 * A bench/servers/ script, bundled first as MREG is (server/scripts/build.mjs: npm packages stay
 * external, found from bench/; @mreg/shared, which ships as TypeScript, goes into the bundle), so
 * that no TypeScript loader weighs on its memory or start; ready when it prints `LISTENING <url>`.
 */
export async function startBenchServer(script: string, env: Record<string, string>): Promise<Started> {
  const outfile = join(root, 'bench/dist', script.replace(/\.ts$/, '.mjs'));
  const { devDependencies } = JSON.parse(readFileSync(join(root, 'bench/package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const external = Object.keys(devDependencies).filter((name) => !name.startsWith('@mreg/'));
  await build({ entryPoints: [join(root, 'bench/servers', script)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external, logLevel: 'warning' });
  const { child, output, startedAt } = startProcess([outfile], env, root);
  const url = await waitFor(script, child, output, async () => /LISTENING (\S+)/.exec(output())?.[1]);
  return { child, url, readyMs: performance.now() - startedAt, output, stop: () => stopProcess(child) };
}

/** MREG as deployed (`node server/dist/main.js`); ready when /readyz answers 200 (database and cache up). */
export async function startMreg(env: Record<string, string>, cwd: string, bundle = join(root, 'server/dist/main.js')): Promise<Started> {
  const port = await freePort();
  const metricsPort = await freePort();
  const { child, output, startedAt } = startProcess(
    [...(process.env.MREG_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/results')}`] : []), bundle],
    {
      MREG_HOST: '127.0.0.1',
      MREG_PORT: String(port),
      // Scraped before and after the measured window, to show the counters moving under the load.
      MREG_METRICS_PORT: String(metricsPort),
      MREG_SIGN_IN_RATE_LIMIT: '100000',
      // One session under autocannon's load: tens of thousands of calls a minute, all to be answered 200.
      MREG_TRPC_RATE_LIMIT: '10000000',
      // No access log: neither the ceiling nor the peer writes one per request.
      MREG_LOG_LEVEL: 'warn',
      ...env,
    },
    cwd,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('MREG', child, output, async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined));
  return { child, url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, readyMs: performance.now() - startedAt, output, stop: () => stopProcess(child) };
}

/** `pnpm build` when the server bundle is missing or older than any server or shared source (tests aside). */
export async function ensureBuilt(): Promise<void> {
  const bundle = join(root, 'server/dist/main.js');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'testing' ? latest : Math.max(latest, newest(path));
      return entry.name.endsWith('.test.ts') ? latest : Math.max(latest, statSync(path).mtimeMs);
    }, 0);
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(newest(join(root, 'server/src')), newest(join(root, 'shared')))) return;
  console.log('Building (server/dist/main.js is missing or older than the sources)...');
  const build = spawn('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
  const code = await new Promise<number | null>((done) => build.once('exit', done));
  if (code !== 0) throw new Error(`pnpm build exited with ${code}`);
}

export async function scratchDatabase(suffix: string): Promise<ScratchDatabase> {
  const scratch = await createScratchDatabase(databaseUrl, `${runId}_${suffix}`);
  cleanups.push(() => scratch.drop());
  return scratch;
}
