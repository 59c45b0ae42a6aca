import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startChild, type ChildServer } from './processes';
// Data nodes and sentinels alike: `redis-server <conf> --sentinel` is what redis-sentinel runs (the
// same binary), without the redis-sentinel package's system service watching 127.0.0.1:6379.
import { REDIS_MISSING, REDIS_READY, REDIS_SERVER } from './throwaway-redis';


/** The master group's name the sentinels watch. */
export const SENTINEL_MASTER_NAME = 'mymaster';
/** A primary that does not answer for this long is down for a sentinel; a quorum of two agrees, and one of them fails over. */
const DOWN_AFTER_MS = 1000;
/**
 * Bounds each step of a failover, and sets when a sentinel tries again after one that got no
 * majority (a split vote: twice this, plus up to a second of random delay). Sentinel's default of
 * three minutes, or even 5 s, would leave a split vote on a loaded machine no retry within the
 * wait; 2 s still leaves the promotion of a loopback replica (milliseconds) plenty of time.
 */
const FAILOVER_TIMEOUT_MS = 2000;
/** Up to two split votes and their retries (2 x FAILOVER_TIMEOUT_MS each) on a busy two-core machine. */
const PROMOTION_WAIT_MS = 25_000;

/** One process of the set: a data node or a sentinel, on 127.0.0.1. */
export interface RedisProcess extends ChildServer {
  port: number;
}

/**
 * A Redis Sentinel set of a test's own on free loopback ports: a primary and a replica (no
 * persistence), and three sentinels with a quorum of two, each with a conf file of its own (the
 * sentinels rewrite theirs) in one temporary directory. Runs the same way in both CI modes. Each
 * process is stopped by its PID, and the directory removed, by stop().
 */
export interface RedisSentinelSet {
  /** The master group's name (MREG_REDIS_SENTINEL_NAME). */
  name: string;
  sentinels: RedisProcess[];
  /** MREG_REDIS_SENTINELS: `127.0.0.1:<port>,...`. */
  sentinelList: string;
  /** The data nodes by port: the first primary, then the replica. */
  nodes: Map<number, RedisProcess>;
  /** The port of the primary as a sentinel names it now. */
  primaryPort(): Promise<number>;
  /** A client of the data node on `port` (closed by stop()). */
  clientOf(port: number): Redis;
  /** SIGKILLs the primary the sentinels name; answers its port. */
  killPrimary(): Promise<number>;
  /** Waits until every sentinel names a primary other than `formerPort` and that node says it is primary; answers its port. */
  waitForPromotion(formerPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** redis-server with `args`, ready once it has printed `ready`. */
async function startProcess(args: string[], port: number, ready: string): Promise<RedisProcess> {
  const server = await startChild(REDIS_SERVER, args, { ready: (output) => output.includes(ready), missing: REDIS_MISSING });
  return { port, ...server };
}

/** A data node: no persistence; `dir` takes the RDB a replica receives in a full sync. */
async function startDataNode(dir: string, replicaOf?: number): Promise<RedisProcess> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  // A full sync starts at once (by default a diskless one waits 5 s for more replicas).
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--repl-diskless-sync-delay', '0'];
  if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
  return startProcess(args, port, REDIS_READY);
}

async function startSentinel(dir: string, primaryPort: number): Promise<RedisProcess> {
  const port = await freePort();
  const conf = join(dir, `sentinel-${port}.conf`);
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
      `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  return startProcess([conf, '--sentinel'], port, '+monitor master');
}

/** `SENTINEL master <name>` and friends answer flat [field, value, ...] lists. */
const fields = (flat: unknown): Record<string, string> => {
  const list = flat as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
};

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export async function startRedisSentinelSet(): Promise<RedisSentinelSet> {
  const dir = await mkdtemp(join(tmpdir(), 'mreg-sentinel-'));
  const started: RedisProcess[] = [];
  const clients = new Map<number, Redis>();
  const clientOf = (port: number) => {
    let client = clients.get(port);
    // Closed for good: its node died, or it was promoted (sentinels then close its clients' connections).
    if (!client || client.status === 'end') {
      client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
      client.on('error', () => {});
      clients.set(port, client);
    }
    return client;
  };
  const stop = async () => {
    for (const client of clients.values()) client.disconnect();
    await Promise.all(started.map((proc) => proc.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startDataNode(join(dir, 'primary'));
    started.push(primary);
    const replica = await startDataNode(join(dir, 'replica'), primary.port);
    started.push(replica);
    // The replica in sync first: a sentinel finds replicas in the primary's INFO.
    await until('the replica did not sync', 5000, async () =>
      ((await clientOf(replica.port).info('replication')).includes('master_link_status:up') ? true : undefined),
    );
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(dir, primary.port));
    started.push(...sentinels);
    const asked = sentinels.map((sentinel) => clientOf(sentinel.port));
    // Each sentinel knows the replica and the two others (they find each other through the
    // primary's hello channel, every 2 s): only then can they agree on a failover.
    await until('the sentinels did not see the replica and each other', 10_000, async () => {
      for (const sentinel of asked) {
        const master = fields(await sentinel.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME));
        if (Number(master['num-slaves']) < 1 || Number(master['num-other-sentinels']) < 2) return undefined;
      }
      return true;
    });
    const primaryPort = async () => {
      const [, port] = (await asked[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as [string, string];
      return Number(port);
    };
    return {
      name: SENTINEL_MASTER_NAME,
      sentinels,
      sentinelList: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','),
      nodes: new Map([primary, replica].map((node) => [node.port, node])),
      primaryPort,
      clientOf,
      async killPrimary() {
        const port = await primaryPort();
        await (port === primary.port ? primary : replica).kill();
        return port;
      },
      waitForPromotion: (formerPort, timeoutMs = PROMOTION_WAIT_MS) =>
        until(`no replica was promoted in place of ${formerPort}`, timeoutMs, async () => {
          const named = new Set<number>();
          for (const sentinel of asked) {
            const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as [string, string];
            named.add(Number(port));
          }
          const [port] = [...named];
          if (named.size !== 1 || port === formerPort) return undefined;
          return (await clientOf(port!).info('replication')).includes('role:master') ? port : undefined;
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
