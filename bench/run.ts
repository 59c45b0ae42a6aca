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
 *     --only:  just these scenarios (numbers as in the table; 5 is the cache-miss lookup, 6 the floor)
 *   pnpm bench --baseline <checkout>
 *     scenario 2 for another checkout's build (its server/dist/main.js, built there with pnpm build)
 *     and for this one, alternately, three rounds each in this one run: before and after a change
 *
 * MREG_BENCH_DATABASE_URL and MREG_BENCH_REDIS_URL name the servers (default: the local ones);
 * scratch databases and a Redis namespace of the run are made and removed. Prints a table and
 * writes bench/results/<YYYY-MM-DD>.json and .md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createScratchDatabase, deleteRedisKeys, type ScratchDatabase } from '@mreg/server/testing/databases';
import { freePort } from '@mreg/server/testing/processes';
import { signInAs } from '@mreg/server/testing/sign-in';
import { measureMisses, type MissFigures } from './cache-miss';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const only = process.argv.includes('--only') ? new Set((onlyArg ?? '').split(',').map(Number)) : undefined;
const SCENARIOS = 6;
if (only && (only.size === 0 || [...only].some((n) => !Number.isInteger(n) || n < 1 || n > SCENARIOS))) {
  console.error(`--only takes scenario numbers 1 to ${SCENARIOS} separated by commas, such as --only 1,2; got ${JSON.stringify(onlyArg ?? '')}`);
  process.exit(2);
}
const runs = (scenario: number) => !only || only.has(scenario);
const baselineArg = process.argv.includes('--baseline') ? (process.argv[process.argv.indexOf('--baseline') + 1] ?? '') : undefined;
const baselineBundle = baselineArg === undefined ? undefined : join(resolve(baselineArg), 'server/dist/main.js');
if (baselineBundle && !existsSync(baselineBundle)) {
  console.error(`--baseline: ${baselineBundle} does not exist; give a checkout of MREG where pnpm build has run`);
  process.exit(2);
}
const COMPARISON_ROUNDS = 3;
const WARMUP_S = quick ? 1 : 5;
const MEASURE_S = quick ? 3 : 15;
const CONNECTIONS = 50;
const LARGE_TABLE = quick ? 100_000 : 1_000_000;
const SMALL_TABLE = 10_000;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = process.env.MREG_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.MREG_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = `mreg_bench_${randomBytes(4).toString('hex')}`;
const EMAIL = 'ada@contoso.test';
const autocannonBin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

// Everything started here, so that a failure still stops it and drops it.
const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];
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

interface Started {
  child: ChildProcess;
  url: string;
  /** MREG's loopback /metrics listener. */
  metricsUrl?: string;
  /** Milliseconds from spawn to ready. */
  readyMs: number;
  output: () => string;
  stop(): Promise<void>;
}

function startProcess(args: string[], env: Record<string, string | undefined>, cwd: string): { child: ChildProcess; output: () => string; startedAt: number } {
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

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor<T>(what: string, child: ChildProcess, output: () => string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
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
async function startBenchServer(script: string, env: Record<string, string>): Promise<Started> {
  const outfile = join(root, 'bench/dist', script.replace(/\.ts$/, '.mjs'));
  const { devDependencies } = JSON.parse(readFileSync(join(root, 'bench/package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const external = Object.keys(devDependencies).filter((name) => !name.startsWith('@mreg/'));
  await build({ entryPoints: [join(root, 'bench/servers', script)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external, logLevel: 'warning' });
  const { child, output, startedAt } = startProcess([outfile], env, root);
  const url = await waitFor(script, child, output, async () => /LISTENING (\S+)/.exec(output())?.[1]);
  return { child, url, readyMs: performance.now() - startedAt, output, stop: () => stopProcess(child) };
}

/** MREG as deployed (`node server/dist/main.js`); ready when /readyz answers 200 (database and cache up). */
async function startMreg(env: Record<string, string>, cwd: string, bundle = join(root, 'server/dist/main.js')): Promise<Started> {
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

/** The counters of a Prometheus text exposition, by name and labels as written (`name{a="b"}`). */
async function scrape(metricsUrl: string): Promise<Map<string, number>> {
  const answer = await fetch(metricsUrl);
  if (answer.status !== 200) throw new Error(`${metricsUrl} answered ${answer.status}`);
  const samples = new Map<string, number>();
  for (const line of (await answer.text()).split('\n')) {
    const match = /^(mreg_\w+_total(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** What the measured window added to MREG's counters (those that moved). */
export type CounterDeltas = Record<string, number>;

function deltas(before: Map<string, number>, after: Map<string, number>): CounterDeltas {
  return Object.fromEntries([...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)]).filter(([, delta]) => delta !== 0));
}

/** Resident set size of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

/**
 * Proportional set size of a process, in MB (Linux): each page shared by several processes (the
 * PostgreSQL shared buffers, the binaries' code) counted in equal parts among them, so that a sum
 * over a group of processes counts every page once. 0 for a process that has ended meanwhile (a
 * backend closing); NaN when it cannot be read, so that a total is never quietly too low.
 */
function pssMb(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH' ? 0 : NaN;
  }
}

/** A process and all its descendants, from the parent PIDs in /proc/<pid>/stat (this kernel has no /proc/<pid>/task/<tid>/children). */
function processTree(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended while listing
    }
    // Field 4, after the command name in parentheses (which may itself hold ") ").
    const ppid = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
    childrenOf.set(ppid, [...(childrenOf.get(ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    tree.push(next);
    pending.push(...(childrenOf.get(next) ?? []));
  }
  return tree;
}

/** The memory of embedded MREG: its own process and its PostgreSQL cluster's, as sums of PSS. */
interface GroupMemory {
  /** MREG + PostgreSQL, in MB. */
  totalMb: number;
  /** The PostgreSQL part of it: the postmaster and its descendants. */
  postgresMb: number;
  /** How many PostgreSQL processes there were. */
  postgresProcesses: number;
}

/** PSS of MREG's process plus the postmaster named by `<data>/postmaster.pid` and all its descendants, at one moment. */
function groupMemory(mregPid: number, postmasterPidFile: string): GroupMemory {
  const postmaster = Number.parseInt(readFileSync(postmasterPidFile, 'utf8').split('\n')[0]!, 10);
  const postgres = processTree(postmaster).filter((pid) => pid !== mregPid);
  const postgresMb = postgres.reduce((sum, pid) => sum + pssMb(pid), 0);
  return { totalMb: pssMb(mregPid) + postgresMb, postgresMb, postgresProcesses: postgres.length };
}

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time a process has used so far (user + system), in milliseconds (Linux). */
function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name in parentheses.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

interface LoadFigures {
  reqPerSec: number;
  /** The server's own CPU time per answered request over the measured window, in microseconds. */
  cpuUsPerReq: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  rssIdleMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  /** Embedded MREG only: PSS of MREG and its PostgreSQL processes together, idle and at the peak under load. */
  group?: { idle: GroupMemory; peak: GroupMemory };
  /** MREG's /metrics counters over the measured window. */
  counters?: CounterDeltas;
}

function autocannon(url: string, headers: Record<string, string>, seconds: number): Promise<any> {
  const args = [autocannonBin, '-c', String(CONNECTIONS), '-d', String(seconds), '--json', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}:${v}`]), url];
  const { child, output } = startProcess(args, {}, root);
  let json = '';
  child.stdout!.on('data', (chunk: Buffer) => (json += chunk.toString()));
  return new Promise((done, fail) =>
    child.once('exit', (code) => {
      if (code !== 0) return fail(new Error(`autocannon exited with ${code}:\n${output()}`));
      try {
        done(JSON.parse(json));
      } catch {
        fail(new Error(`autocannon printed no JSON:\n${output()}`));
      }
    }),
  );
}

/**
 * Signs in through MREG's development provider, then loads `auth.user` with that session. With
 * `postmasterPidFile` (embedded MREG), also samples the PSS of MREG and its PostgreSQL processes.
 */
async function loadAuthUser(server: Started, postmasterPidFile?: string): Promise<LoadFigures> {
  const { token } = await signInAs(server.url, EMAIL);
  return load(server, '/trpc/auth.user', { cookie: `mreg_session=${token}` }, (b) => b?.result?.data?.user?.email, postmasterPidFile);
}

/** Checks one answer is the signed-in user, then a discarded warm-up, then the measured window. */
async function load(server: Started, path: string, headers: Record<string, string>, emailOf: (body: any) => unknown, postmasterPidFile?: string): Promise<LoadFigures> {
  const sample = await fetch(`${server.url}${path}`, { headers });
  const body = await sample.json().catch(() => undefined);
  if (sample.status !== 200 || emailOf(body) !== EMAIL) {
    throw new Error(`${path} answered ${sample.status} ${JSON.stringify(body)}, not the signed-in ${EMAIL}: the scenario would measure nothing`);
  }
  const pid = server.child.pid!;
  const rssIdleMb = rssMb(pid);
  const sampleGroup = postmasterPidFile ? () => groupMemory(pid, postmasterPidFile) : undefined;
  const groupIdle = sampleGroup?.();
  await autocannon(`${server.url}${path}`, headers, WARMUP_S);
  let rssPeakMb = rssMb(pid);
  let groupPeak = sampleGroup?.();
  // The group's peak is its largest sum at one moment, not the sum of each process's own peak.
  // A sample that could not be read (NaN) stays, rather than a peak that may be too low.
  const higher = (a: GroupMemory | undefined, b: GroupMemory | undefined) =>
    !a || !b ? (a ?? b) : Number.isNaN(a.totalMb) ? a : Number.isNaN(b.totalMb) || b.totalMb > a.totalMb ? b : a;
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
    groupPeak = higher(groupPeak, sampleGroup?.());
  }, 250);
  const countersBefore = server.metricsUrl ? await scrape(server.metricsUrl) : undefined;
  const cpuBefore = cpuMs(pid);
  const result = await autocannon(`${server.url}${path}`, headers, MEASURE_S).finally(() => clearInterval(sampler));
  const cpuUsed = cpuMs(pid) - cpuBefore;
  const counters = countersBefore && server.metricsUrl ? deltas(countersBefore, await scrape(server.metricsUrl)) : undefined;
  const rssAfterMb = rssMb(pid);
  groupPeak = higher(groupPeak, sampleGroup?.());
  return {
    reqPerSec: result.requests.average,
    cpuUsPerReq: (cpuUsed * 1000) / result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rssIdleMb,
    rssPeakMb: Math.max(rssPeakMb, rssAfterMb),
    rssAfterMb,
    group: groupIdle && groupPeak ? { idle: groupIdle, peak: groupPeak } : undefined,
    counters,
  };
}

/** `pnpm build` when the server bundle is missing or older than any server or shared source (tests aside). */
async function ensureBuilt(): Promise<void> {
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

async function scratchDatabase(suffix: string): Promise<ScratchDatabase> {
  const scratch = await createScratchDatabase(databaseUrl, `${runId}_${suffix}`);
  cleanups.push(() => scratch.drop());
  return scratch;
}

interface Row {
  scenario: string;
  figures: LoadFigures;
}

const rows: Row[] = [];
const starts: { what: string; ms: number }[] = [];
let misses: MissFigures | undefined;

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

interface Comparison {
  baseline: { commit: string; runs: LoadFigures[] };
  current: { commit: string; runs: LoadFigures[] };
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The comparison's lines: each run, then medians and the ratios current/baseline. */
function comparisonLines(c: Comparison): string[] {
  const each = (runs: LoadFigures[]) => runs.map((r) => `${fmt(r.reqPerSec)} req/s, ${fmt(r.cpuUsPerReq)} us/req, p99 ${fmt(r.p99)} ms`).join('; ');
  const m = (which: 'baseline' | 'current', key: 'reqPerSec' | 'cpuUsPerReq' | 'p50' | 'p99' | 'rssPeakMb') => median(c[which].runs.map((r) => r[key]));
  return [
    `before/after, scenario 2, ${COMPARISON_ROUNDS} alternating rounds in this run: baseline ${c.baseline.commit}: ${each(c.baseline.runs)}`,
    `before/after: current ${c.current.commit}: ${each(c.current.runs)}`,
    `before/after, medians: req/s ${fmt(m('baseline', 'reqPerSec'))} -> ${fmt(m('current', 'reqPerSec'))} (${fmt(m('current', 'reqPerSec') / m('baseline', 'reqPerSec'), 2)}x); ` +
      `CPU us/req ${fmt(m('baseline', 'cpuUsPerReq'))} -> ${fmt(m('current', 'cpuUsPerReq'))} (${fmt(m('current', 'cpuUsPerReq') / m('baseline', 'cpuUsPerReq'), 2)}x); ` +
      `p50 ${fmt(m('baseline', 'p50'))} -> ${fmt(m('current', 'p50'))} ms; p99 ${fmt(m('baseline', 'p99'))} -> ${fmt(m('current', 'p99'))} ms; ` +
      `RSS peak ${fmt(m('baseline', 'rssPeakMb'))} -> ${fmt(m('current', 'rssPeakMb'))} MB`,
  ];
}

/** The commit measured, marked when server/ or shared/ differ from it (what the bundle was built from). */
function revision(checkout = root): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: checkout, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'shared'], { cwd: checkout, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in server/ or shared/` : head;
  } catch {
    return 'unknown';
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function report() {
  const header = [
    'scenario',
    'req/s',
    'CPU us/req',
    'p50 ms',
    'p99 ms',
    'errors',
    'RSS idle MB',
    'RSS peak under load MB',
    'RSS after MB',
    'PSS idle MB, MREG + PostgreSQL',
    'PSS peak under load MB, MREG + PostgreSQL',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    fmt(r.figures.reqPerSec),
    fmt(r.figures.cpuUsPerReq),
    fmt(r.figures.p50, 2),
    fmt(r.figures.p99, 2),
    String(r.figures.errors + r.figures.non2xx),
    fmt(r.figures.rssIdleMb),
    fmt(r.figures.rssPeakMb),
    fmt(r.figures.rssAfterMb),
    fmt(r.figures.group?.idle.totalMb ?? NaN),
    fmt(r.figures.group?.peak.totalMb ?? NaN),
  ]);
  const md = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)];
  const find = (prefix: string) => rows.find((r) => r.scenario.startsWith(prefix))?.figures;
  const ceiling = find('1.');
  const mreg = find('2.');
  const embedded = find('3.');
  const peer = find('4.');
  const floor = find('6.');
  const goals: string[] = [];
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : NaN);
  const vsCeiling = ratio(mreg?.reqPerSec, ceiling?.reqPerSec);
  const cpuVsCeiling = ratio(mreg?.cpuUsPerReq, ceiling?.cpuUsPerReq);
  const vsFloor = ratio(mreg?.reqPerSec, floor?.reqPerSec);
  const cpuVsFloor = ratio(mreg?.cpuUsPerReq, floor?.cpuUsPerReq);
  const vsPeer = ratio(mreg?.reqPerSec, peer?.reqPerSec);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  // A ratio is written only when both of its scenarios ran: a partial run misses no goal it never measured.
  if (mreg && ceiling) goals.push(`MREG/ceiling ${fmt(vsCeiling, 2)}x req/s (goal >= 0.6x): ${verdict(vsCeiling >= 0.6)}; ${fmt(cpuVsCeiling, 2)}x CPU us/req (no goal)`);
  if (mreg && floor) {
    goals.push(
      `MREG/floor ${fmt(vsFloor, 2)}x req/s (goal >= 0.95x): ${verdict(vsFloor >= 0.95)}; ${fmt(cpuVsFloor, 2)}x CPU us/req (goal <= 1.1x): ${verdict(cpuVsFloor <= 1.1)}`,
    );
  }
  if (mreg && peer) goals.push(`MREG/peer ${fmt(vsPeer, 2)}x (goal >= 4x): ${verdict(vsPeer >= 4)}`);
  if (embedded) {
    const against = [
      ceiling && `embedded MREG/ceiling ${fmt(ratio(embedded.reqPerSec, ceiling.reqPerSec), 2)}x`,
      floor && `embedded MREG/floor ${fmt(ratio(embedded.reqPerSec, floor.reqPerSec), 2)}x req/s, ${fmt(ratio(embedded.cpuUsPerReq, floor.cpuUsPerReq), 2)}x CPU us/req`,
      peer && `embedded MREG/peer ${fmt(ratio(embedded.reqPerSec, peer.reqPerSec), 2)}x`,
    ].filter(Boolean);
    if (against.length) goals.push(`${against.join(', ')} (no goal)`);
  }
  if (mreg) goals.push(`MREG p99 ${fmt(mreg.p99, 2)} ms (goal < 20 ms): ${verdict(mreg.p99 < 20)}`);
  if (misses) {
    const r = misses.large.p50 / misses.small.p50;
    goals.push(
      `cache-miss lookup, ${misses.smallRows} sessions: p50 ${fmt(misses.small.p50)} us, p99 ${fmt(misses.small.p99)} us; ${misses.largeRows} sessions: p50 ${fmt(misses.large.p50)} us, p99 ${fmt(misses.large.p99)} us; ` +
        `ratio ${fmt(r, 2)}x p50, ${fmt(misses.large.p99 / misses.small.p99, 2)}x p99 (goal <= 1.2x p50): ${verdict(r <= 1.2)}${quick ? ' (quick run: not 1M rows)' : ''}`,
    );
  }
  if (mreg) goals.push(`MREG RSS under load, PostgreSQL + Redis: ${fmt(mreg.rssPeakMb)} MB (goal <= 220 MB): ${verdict(mreg.rssPeakMb <= 220)}`);
  if (embedded) goals.push(`MREG RSS under load, embedded (MREG's process alone): ${fmt(embedded.rssPeakMb)} MB (no goal of its own: see the PSS of MREG with its PostgreSQL)`);
  if (embedded?.group) {
    const parts = (m: GroupMemory) => `MREG ${fmt(m.totalMb - m.postgresMb)} + PostgreSQL ${fmt(m.postgresMb)} MB in ${m.postgresProcesses} processes`;
    const { idle, peak } = embedded.group;
    goals.push(`embedded MREG + its PostgreSQL, PSS idle after start: ${fmt(idle.totalMb)} MB (${parts(idle)}) (goal <= 250 MB): ${verdict(idle.totalMb <= 250)}`);
    goals.push(`embedded MREG + its PostgreSQL, PSS peak under load: ${fmt(peak.totalMb)} MB (${parts(peak)}) (goal <= 350 MB): ${verdict(peak.totalMb <= 350)}`);
  }
  for (const s of starts) goals.push(`start to ready, ${s.what}: ${fmt(s.ms)} ms`);
  if (comparison) goals.push(...comparisonLines(comparison));
  for (const row of rows.filter((r) => r.figures.counters)) {
    const moved = Object.entries(row.figures.counters!).map(([name, delta]) => `${name} +${delta}`);
    goals.push(
      `/metrics over the measured window of scenario ${row.scenario.split('.')[0]} (autocannon counted ${row.figures.requests} answers): ${moved.length ? moved.join(', ') : 'no counter moved'}`,
    );
  }
  const table = md.join('\n');
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    quick,
    commit: revision(),
    settings: { connections: CONNECTIONS, warmupSeconds: WARMUP_S, measuredSeconds: MEASURE_S },
    scenarios: rows,
    // NaN (a scenario not run) is written as null.
    ratios: { mregOverCeiling: vsCeiling, mregOverCeilingCpu: cpuVsCeiling, mregOverFloor: vsFloor, mregOverFloorCpu: cpuVsFloor, mregOverPeer: vsPeer },
    cacheMiss: misses,
    startToReadyMs: starts,
    comparison,
  };
  return { table, goals, json };
}

async function main() {
  await ensureBuilt();
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

  if (baselineBundle) {
    console.log(`2. before/after: ${baselineBundle} and this checkout's build...`);
    await comparisonScenario(baselineBundle, cwd);
  }

  const { table, goals, json } = report();
  console.log(`\n${table}\n`);
  for (const goal of goals) console.log(`- ${goal}`);
  // A quick or partial run never replaces the day's full results.
  const day = `${new Date().toISOString().slice(0, 10)}${quick || only ? '-partial' : ''}`;
  const dir = join(root, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${day}.json`), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    `# MREG benchmarks, ${json.date}`,
    '',
    `Commit ${json.commit}. Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}; autocannon, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up (discarded), ${MEASURE_S} s measured${quick ? ' (quick run)' : ''}. Errors count failed requests and non-2xx answers. CPU us/req is the server process's own CPU time (user + system) over the measured window divided by the requests answered in it; the load generator, PostgreSQL and Redis share the same two cores. RSS is the server process's own; PSS (embedded MREG only) is the sum over MREG's process and its PostgreSQL cluster's (the postmaster and all its descendants), each shared page counted once, sampled every 250 ms like RSS.`,
    '',
    table,
    '',
    ...goals.map((g) => `- ${g}`),
    '',
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
