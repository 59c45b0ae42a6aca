import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEntraStandIn, type EntraStandIn } from './entra-stand-in';
import { startHaproxy, type Haproxy } from './haproxy';
import { freePort, spawnServer, TSX_IMPORT, type ServerProcess } from './processes';

const INSTANCE_ENTRY = fileURLToPath(new URL('./topology-instance.ts', import.meta.url));

/**
 * Several MREG instances behind HAProxy, as README.md's "Running several instances" describes them:
 * each its own process on its own port with an empty data directory of its own (no local state),
 * all on one PostgreSQL and one Redis, with one MREG_SECRET_KEY and Entra ID (the stand-in), the
 * proxy's address as MREG_PUBLIC_URL, and MREG_TRUST_PROXY=1.
 */
export interface TopologyOptions {
  databaseUrl: string;
  redisUrl: string;
  /** MREG_REDIS_NAMESPACE of every instance. */
  namespace: string;
  instances?: number;
  /** More MREG_ variables for every instance (with MREG_LOG_LEVEL quieter than info, metricsUrl() cannot say where its metrics are). */
  env?: Record<string, string>;
}

export interface Instance {
  /** HAProxy's name for it: mreg1, mreg2, … */
  name: string;
  port: number;
  /** The running process (a new one after each start). */
  readonly process: ServerProcess;
  /** The loopback metrics listener's /metrics. */
  metricsUrl(): string;
  /** Starts it (again) on its port, with a new empty data directory; resolves once it listens. */
  start(): Promise<void>;
  /** SIGTERM: drains, finishes what is in flight, stops; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, and its exit. */
  kill(): Promise<void>;
  /** Every line it logged, over all its starts, parsed. */
  logs(): Record<string, unknown>[];
}

export interface Topology {
  /** The proxy: MREG_PUBLIC_URL of every instance. */
  url: string;
  haproxy: Haproxy;
  entra: EntraStandIn;
  instances: Instance[];
  close(): Promise<void>;
}

export const DRAIN_SECONDS = 2;

/** Started means ready, as the balancer sees it: /readyz answers 200 (whatever the log level says). */
async function untilReady(run: ServerProcess, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) throw new Error(`MREG exited with ${run.child.exitCode}:\n${run.stderr}${run.stdout.join('\n')}`);
    const answer = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    await answer?.body?.cancel();
    if (answer?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`MREG was not ready within ${timeoutMs} ms:\n${run.stderr}${run.stdout.join('\n')}`);
}

export async function startTopology({ databaseUrl, redisUrl, namespace, instances: count = 2, env = {} }: TopologyOptions): Promise<Topology> {
  const entra = await startEntraStandIn();
  const proxyPort = await freePort();
  const url = `http://127.0.0.1:${proxyPort}`;
  const secretKey = randomBytes(32).toString('base64');
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const dirs: string[] = [];
  const instances: Instance[] = ports.map((port, i) => {
    const past: string[] = [];
    let current: ServerProcess | undefined;
    const instance: Instance = {
      name: `mreg${i + 1}`,
      port,
      get process() {
        if (!current) throw new Error(`mreg${i + 1} has not been started`);
        return current;
      },
      metricsUrl() {
        const line = instance.logs().find((l) => l.msg === 'Metrics listening');
        if (!line) throw new Error(`${instance.name} logged no metrics address`);
        return line.url as string;
      },
      async start() {
        if (current) past.push(...current.stdout);
        const dataDir = await mkdtemp(join(tmpdir(), `mreg-topology-${instance.name}-`));
        dirs.push(dataDir);
        current = spawnServer(
          ['--import', TSX_IMPORT, INSTANCE_ENTRY],
          {
            TOPOLOGY_ENTRA_URL: entra.origin,
            MREG_ENV: 'production',
            MREG_HOST: '127.0.0.1',
            MREG_PORT: String(port),
            MREG_PUBLIC_URL: url,
            MREG_TRUST_PROXY: '1',
            MREG_DATA_DIR: dataDir,
            MREG_DATABASE_URL: databaseUrl,
            MREG_REDIS_URL: redisUrl,
            MREG_REDIS_NAMESPACE: namespace,
            MREG_SECRET_KEY: secretKey,
            MREG_METRICS_PORT: '0',
            MREG_SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS),
            // The registry's test servers listen on 127.0.0.1.
            MREG_REGISTRY_ALLOW_PRIVATE: 'true',
            ...entra.env,
            ...env,
          },
          dataDir,
        );
        await untilReady(current, port);
      },
      stop: () => instance.process.stop(),
      async kill() {
        if (!current) return;
        current.child.kill('SIGKILL');
        await current.exit;
      },
      logs: () =>
        [...past, ...(current?.stdout ?? [])].flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    };
    return instance;
  });

  let haproxy: Haproxy | undefined;
  const close = async () => {
    await Promise.allSettled(instances.map((i) => i.kill()));
    await haproxy?.stop();
    await entra.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    // All at once on the fresh database: they migrate one after the other (MIGRATION_LOCK). Each
    // start is awaited, so that a failed one leaves no other behind when close() runs.
    const started = await Promise.allSettled(instances.map((i) => i.start()));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    haproxy = await startHaproxy(instances.map(({ name, port }) => ({ name, port })), proxyPort);
    for (const instance of instances) await haproxy.waitFor(instance.name, 'UP');
    return { url, haproxy, entra, instances, close };
  } catch (error) {
    await close();
    throw error;
  }
}
