import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { signInAs } from '@mreg/server/testing/sign-in';
import { startProcess, type Started } from './processes';
import { CONNECTIONS, EMAIL, MEASURE_S, root, WARMUP_S } from './settings';

// What a scenario measures of a server under autocannon's load: throughput, latency, CPU per
// request, memory (RSS, and PSS of a process group) and MREG's own counters.

const autocannonBin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

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
export interface GroupMemory {
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
export function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name in parentheses.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export interface LoadFigures {
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

/** What autocannon sends other than a GET, and the answer every request must get (else counted in `mismatches`). */
export interface Sent {
  method?: 'POST';
  body?: string;
  expectBody?: string;
}

export function autocannon(url: string, headers: Record<string, string>, seconds: number, sent: Sent = {}): Promise<any> {
  const args = [
    autocannonBin,
    '-c',
    String(CONNECTIONS),
    '-d',
    String(seconds),
    '--json',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}:${v}`]),
    ...(sent.method ? ['-m', sent.method] : []),
    ...(sent.body ? ['-b', sent.body] : []),
    ...(sent.expectBody ? ['-E', sent.expectBody] : []),
    url,
  ];
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
export async function loadAuthUser(server: Started, postmasterPidFile?: string): Promise<LoadFigures> {
  const { token } = await signInAs(server.url, EMAIL);
  return load(server, '/trpc/auth.user', { cookie: `mreg_session=${token}` }, (b) => b?.result?.data?.user?.email, postmasterPidFile);
}

/** Checks one answer is the signed-in user, then a discarded warm-up, then the measured window. */
export async function load(server: Started, path: string, headers: Record<string, string>, emailOf: (body: any) => unknown, postmasterPidFile?: string): Promise<LoadFigures> {
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
