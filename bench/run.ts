/**
 * `pnpm bench`: MREG's `auth.user` under load against a bare Express ceiling, the floor of MREG's own
 * stack (Express 5 + tRPC 11 with MREG's middleware, nothing behind it) and a better-auth peer, the
 * session lookup on a cache miss with 10 000 and 1 000 000 sessions, start-to-ready times and memory
 * (RSS of each server process; for embedded MREG also the PSS of MREG and its PostgreSQL processes
 * together). Every server is its own process, started one at a time on loopback; the load comes
 * from autocannon's CLI in another process (50 connections, a discarded warm-up, then a measured
 * window). A sample answer must be the signed-in user before a scenario counts.
 *
 *   pnpm bench [--quick] [--only 1,2,...]
 *     --quick: 1 s warm-up, 3 s windows, 100 000 sessions in place of 1M
 *     --only:  just these scenarios (numbers as in the table; 5 is the cache-miss lookup, 6 the floor,
 *              7 the gateway: tools/call direct, through /mcp and /mcp/<slug>, and tools/list of 1000 tools;
 *              9 behind HAProxy: auth.user and /mcp tools/call through Debian's HAProxy to one MREG
 *              instance and to two, alternately, and to the one direct)
 *   pnpm bench --baseline <checkout>
 *     scenario 2 for another checkout's build (its server/dist/main.js, built there with pnpm build)
 *     and for this one, alternately, three rounds each in this one run: before and after a change
 *
 * MREG_BENCH_DATABASE_URL and MREG_BENCH_REDIS_URL name the servers (default: the local ones);
 * scratch databases and a Redis namespace of the run are made and removed. Prints a table and
 * writes bench/results/<YYYY-MM-DD>.json and .md. The parts live in lib/: settings, processes,
 * measure (the figures of a scenario) and report (the table and goals).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deleteRedisKeys } from '@mreg/server/testing/databases';
import { measureMisses, type MissFigures } from './cache-miss';
import { gatewayReport, measureGateway, type GatewayFigures } from './gateway';
import { load, loadAuthUser } from './lib/measure';
import { children, cleanups, ensureBuilt, scratchDatabase, startBenchServer, startMreg, stopProcess } from './lib/processes';
import { report, revision, type Comparison, type Row } from './lib/report';
import {
  baselineBundle,
  COMPARISON_ROUNDS,
  CONNECTIONS,
  EMAIL,
  LARGE_TABLE,
  MEASURE_S,
  only,
  quick,
  redisUrl,
  root,
  runId,
  runs,
  SMALL_TABLE,
  WARMUP_S,
} from './lib/settings';
import { measureTopology, topologyReport, type TopologyFigures } from './topology';

const rows: Row[] = [];
const starts: { what: string; ms: number }[] = [];
let misses: MissFigures | undefined;
let gateway: GatewayFigures | undefined;
let topology: TopologyFigures | undefined;

async function ceilingScenario() {
  const server = await startBenchServer('ceiling.ts', { BENCH_EMAIL: EMAIL });
  try {
    rows.push({ scenario: '1. ceiling: bare Express 5, fixed JSON', figures: await load(server, '/user', {}, (b) => b?.email) });
  } finally {
    await server.stop();
  }
}

/** With `postmasterPidFile`, MREG runs its own PostgreSQL, whose memory is sampled with MREG's. */
async function mregScenario(name: string, env: Record<string, string>, cwd: string, startLabel: string, restartLabel: string, postmasterPidFile?: string) {
  const server = await startMreg(env, cwd);
  starts.push({ what: startLabel, ms: server.readyMs });
  try {
    rows.push({ scenario: name, figures: await loadAuthUser(server, postmasterPidFile) });
  } finally {
    await server.stop();
  }
  const again = await startMreg(env, cwd);
  starts.push({ what: restartLabel, ms: again.readyMs });
  await again.stop();
}

/**
 * The floor: the same stack and middleware as MREG and an authed auth.user of the same size and
 * schema, with its one session in a Map: MREG's cost per request above it is MREG's own work.
 */
async function floorScenario() {
  const token = randomBytes(32).toString('base64url');
  const server = await startBenchServer('floor.ts', { BENCH_EMAIL: EMAIL, BENCH_SESSION_TOKEN: token });
  try {
    // The procedure measured must be the authed one: without the cookie, it refuses.
    const anonymous = await fetch(`${server.url}/trpc/auth.user`);
    if (anonymous.status !== 401) throw new Error(`the floor's auth.user answered ${anonymous.status} without a session, not 401`);
    rows.push({
      scenario: "6. floor: Express 5 + tRPC 11, MREG's middleware, authed auth.user from a Map",
      figures: await load(server, '/trpc/auth.user', { cookie: `mreg_session=${token}` }, (b) => b?.result?.data?.user?.email),
    });
  } finally {
    await server.stop();
  }
}

async function peerScenario() {
  const scratch = await scratchDatabase('peer');
  const server = await startBenchServer('peer.ts', { BENCH_DATABASE_URL: scratch.url, BENCH_REDIS_URL: redisUrl, BENCH_NAMESPACE: `${runId}_peer:` });
  try {
    const signUp = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ email: EMAIL, password: 'bench-password-1234', name: 'Ada' }),
    });
    const cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('better-auth.session_token='));
    if (signUp.status !== 200 || !cookie) throw new Error(`better-auth sign-up answered ${signUp.status}: ${await signUp.text()}`);
    rows.push({ scenario: '4. peer: better-auth get-session, PostgreSQL + Redis', figures: await load(server, '/api/auth/get-session', { cookie }, (b) => b?.user?.email) });
  } finally {
    await server.stop();
  }
}


let comparison: Comparison | undefined;

/**
 * Scenario 2 for the baseline's build and this one's, alternately (baseline first in odd rounds,
 * this one first in even ones), each on a scratch database of its own: what the machine does
 * meanwhile weighs on both alike.
 */
async function comparisonScenario(bundle: string, cwd: string) {
  const builds = { baseline: bundle, current: join(root, 'server/dist/main.js') };
  comparison = {
    baseline: { commit: revision(dirname(dirname(dirname(bundle)))), runs: [] },
    current: { commit: revision(), runs: [] },
  };
  for (let round = 0; round < COMPARISON_ROUNDS; round++) {
    const order = round % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
    for (const which of order) {
      console.log(`   round ${round + 1} of ${COMPARISON_ROUNDS}: ${which} (${comparison[which].commit})`);
      const db = await scratchDatabase(`cmp${round}_${which}`);
      const server = await startMreg(
        { MREG_DATABASE_URL: db.url, MREG_REDIS_URL: redisUrl, MREG_REDIS_NAMESPACE: `${runId}_cmp${round}_${which}`, MREG_DATA_DIR: join(cwd, 'unused') },
        cwd,
        builds[which],
      );
      try {
        comparison[which].runs.push(await loadAuthUser(server));
      } finally {
        await server.stop();
      }
    }
  }
}

async function main() {
  // Only MREG as deployed needs the bundle: scenario 9's instances run from the sources.
  if ([2, 3, 7].some(runs) || baselineBundle) await ensureBuilt();
  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-bench-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  // A working directory without .env: MREG reads .env from its working directory.
  const cwd = await mkdtemp(join(tmpdir(), 'mreg-bench-cwd-'));
  cleanups.push(() => rm(cwd, { recursive: true, force: true }));
  cleanups.push(() => deleteRedisKeys(redisUrl, runId));

  console.log(`MREG benchmarks (${quick ? 'quick' : 'full'}${only ? `, scenarios ${[...only].join(',')} only` : ''}): ${CONNECTIONS} connections, ${WARMUP_S} s warm-up, ${MEASURE_S} s measured; node ${process.version}, ${cpus().length} CPUs`);
  if (runs(1)) {
    console.log('1. ceiling...');
    await ceilingScenario();
  }
  if (runs(2)) {
    console.log('2. MREG, PostgreSQL + Redis...');
    const mregDb = await scratchDatabase('mreg');
    await mregScenario(
      '2. MREG auth.user, PostgreSQL + Redis, cache hit',
      { MREG_DATABASE_URL: mregDb.url, MREG_REDIS_URL: redisUrl, MREG_REDIS_NAMESPACE: `${runId}_mreg`, MREG_DATA_DIR: join(dataDir, 'unused') },
      cwd,
      'PostgreSQL, first start (migrations)',
      'PostgreSQL, later start',
    );
  }
  if (runs(3)) {
    console.log('3. MREG, embedded PostgreSQL + in-process cache...');
    const embeddedDir = join(dataDir, 'embedded');
    await mregScenario(
      '3. MREG auth.user, embedded PostgreSQL + in-process cache',
      { MREG_DATA_DIR: embeddedDir },
      cwd,
      'embedded, first start (initdb + migrations)',
      'embedded, later start',
      // Where server/src/db/postgres-cluster.ts keeps the cluster (PGDATA) under MREG_DATA_DIR.
      join(embeddedDir, 'postgres/data/postmaster.pid'),
    );
  }
  if (runs(4)) {
    console.log('4. peer: better-auth...');
    await peerScenario();
  }
  if (runs(5)) {
    console.log(`5. session lookup on a cache miss, ${SMALL_TABLE} and ${LARGE_TABLE} sessions (seeding)...`);
    misses = await measureMisses({
      small: await scratchDatabase('small'),
      large: await scratchDatabase('large'),
      smallRows: SMALL_TABLE,
      largeRows: LARGE_TABLE,
      redisUrl,
      namespace: `${runId}_miss`,
      iterations: quick ? 500 : 3000,
    });
  }

  if (runs(6)) {
    console.log("6. floor: Express 5 + tRPC 11 with MREG's middleware...");
    await floorScenario();
  }

  if (runs(7)) {
    console.log('7-8. the gateway: tools/call direct, through /mcp and /mcp/<slug>; tools/list of 1000 tools...');
    gateway = await measureGateway({ cwd, dataDir });
  }

  if (runs(9)) {
    console.log('9. behind HAProxy: auth.user and /mcp tools/call, one MREG instance against two, and direct...');
    topology = await measureTopology();
  }

  if (baselineBundle) {
    console.log(`2. before/after: ${baselineBundle} and this checkout's build...`);
    await comparisonScenario(baselineBundle, cwd);
  }

  const { table, goals, json } = report({ rows, starts, misses, comparison });
  const gatewayLines = gateway ? gatewayReport(gateway) : [];
  // A run of the gateway alone has no rows for the main table.
  if (rows.length > 0 || misses || comparison) {
    console.log(`\n${table}\n`);
    for (const goal of goals) console.log(`- ${goal}`);
  }
  const topologyLines = topology ? topologyReport(topology) : [];
  if (gatewayLines.length) console.log(`\n${gatewayLines.join('\n')}`);
  if (topologyLines.length) console.log(`\n${topologyLines.join('\n')}`);
  // A quick or partial run never replaces the day's full results.
  const day = `${new Date().toISOString().slice(0, 10)}${quick || only ? '-partial' : ''}`;
  const dir = join(root, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${day}.json`), `${JSON.stringify({ ...json, gateway, topology }, null, 2)}\n`);
  const md = [
    `# MREG benchmarks, ${json.date}`,
    '',
    `Commit ${json.commit}. Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}; autocannon, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up (discarded), ${MEASURE_S} s measured${quick ? ' (quick run)' : ''}. Errors count failed requests and non-2xx answers. CPU us/req is the server process's own CPU time (user + system) over the measured window divided by the requests answered in it; the load generator, PostgreSQL and Redis share the same two cores. RSS is the server process's own; PSS (embedded MREG only) is the sum over MREG's process and its PostgreSQL cluster's (the postmaster and all its descendants), each shared page counted once, sampled every 250 ms like RSS.`,
    '',
    ...(rows.length > 0 || misses || comparison ? [table, '', ...goals.map((g) => `- ${g}`), ''] : []),
    ...(gatewayLines.length ? [...gatewayLines, ''] : []),
    ...(topologyLines.length ? [...topologyLines, ''] : []),
  ].join('\n');
  await writeFile(join(dir, `${day}.md`), md);
  console.log(`\nWritten: bench/results/${day}.json and .md`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  for (const child of children) await stopProcess(child);
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(`cleanup: ${(error as Error).message}`));
}
process.exit(failed ? 1 : 0);
