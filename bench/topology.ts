/**
 * Scenario 9, MREG behind a load balancer: Debian's HAProxy in front of ONE MREG instance and in
 * front of TWO (server/src/testing/topology.ts, as README.md's "Running several instances" describes
 * them: production mode, Entra ID on loopback for sign-in, one PostgreSQL and one Redis), measured
 * side by side in this one run, and the one instance direct (no proxy) beside them, so that the
 * proxy's own cost shows. Two requests, each loaded by autocannon as scenario 2 is:
 *
 * - `auth.user` with the session cookie of a browser signed in through the proxy;
 * - `/mcp` `tools/call` of the echo tool of an upstream on loopback (bench/servers/mcp-upstream.ts),
 *   with an API key as bearer, stateless (no Mcp-Session-Id); every answer must be the echo's.
 *
 * Each topology has a database of its own and a Redis namespace of its own; the one not measured
 * sits idle meanwhile. Rounds alternate the order of the targets (direct, one, two; then two, one,
 * direct), so that what the machine does meanwhile falls on all alike. CPU is that of the
 * processes' own /proc/<pid>/stat (user + system) over the measured window: every MREG instance of
 * the topology measured, and HAProxy's, each divided by the requests answered in the window.
 */
import { randomUUID } from 'node:crypto';
import type { ApiKeyCreated, ServerSaved } from '@mreg/shared';
import { CookieClient } from '@mreg/server/testing/cookie-client';
import type { EntraPerson } from '@mreg/server/testing/entra-stand-in';
import { trpcMutation } from '@mreg/server/testing/sign-in';
import { startTopology, type Topology } from '@mreg/server/testing/topology';
import { autocannon, cpuMs, type Sent } from './lib/measure';
import { children, cleanups, scratchDatabase, startBenchServer } from './lib/processes';
import { fmt } from './lib/report';
import { CONNECTIONS, EMAIL, MEASURE_S, quick, redisUrl, runId, WARMUP_S } from './lib/settings';

const ROUNDS = quick ? 1 : 2;

export const TARGETS = ['direct, one instance', 'HAProxy, one instance', 'HAProxy, two instances'] as const;
export type Target = (typeof TARGETS)[number];
export const REQUESTS = ['auth.user', 'tools/call'] as const;
export type TopologyRequest = (typeof REQUESTS)[number];

/** One measured window. */
export interface Window {
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  /** Failed requests, timeouts, non-2xx answers and answers that were not the expected one. */
  errors: number;
  /** CPU time over the window, ms: every MREG instance of the topology together, and HAProxy (null direct). */
  mregCpuMs: number;
  haproxyCpuMs: number | null;
}

export interface Case {
  request: TopologyRequest;
  target: Target;
  /** Each round's window. */
  windows: Window[];
  /** Means over the rounds. */
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** CPU over all the rounds' windows / requests answered in them, microseconds. */
  mregCpuUsPerReq: number;
  haproxyCpuUsPerReq: number | null;
}

export interface TopologyFigures {
  connections: number;
  rounds: number;
  cases: Case[];
}

/** Every instance the same: quiet (no access log, as scenario 2's MREG), and no limit autocannon's load would reach. */
const INSTANCE_ENV = {
  MREG_LOG_LEVEL: 'warn',
  MREG_SIGN_IN_RATE_LIMIT: '100000',
  MREG_TRPC_RATE_LIMIT: '10000000',
  MREG_GATEWAY_RATE_LIMIT: '10000000',
  MREG_GATEWAY_TENANT_RATE_LIMIT: '10000000',
};

const ECHO_TEXT = 'bench';
const TOOLS_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo__echo', arguments: { text: ECHO_TEXT } } });

interface Deployed {
  topology: Topology;
  /** Headers and body of each request, and the answer it must get. */
  loads: Record<TopologyRequest, { path: string; headers: Record<string, string>; sent: Sent; check: (body: any) => boolean }>;
  close(): Promise<void>;
}

/** A topology of `count` instances with Ada signed in through the proxy, the echo server registered and an API key of hers. */
async function deploy(count: 1 | 2, echoUrl: string): Promise<Deployed> {
  const db = await scratchDatabase(`topology${count}`);
  const topology = await startTopology({ databaseUrl: db.url, redisUrl, namespace: `${runId}_topology${count}`, instances: count, env: INSTANCE_ENV });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= topology.close());
  cleanups.push(close);
  // So that no instance outlives the run, however it ends (processes.ts kills these at exit).
  for (const child of [...topology.instances.map((i) => i.process.child), topology.haproxy.child]) {
    children.add(child);
    child.once('exit', () => children.delete(child));
  }
  try {
    const ada: EntraPerson = { tid: topology.entra.tenants[0].id, oid: randomUUID(), email: EMAIL, name: 'Ada', roles: ['admin'] };
    // A browser's sign-in through the proxy: /auth/login, Entra ID (the stand-in), /auth/callback.
    const browser = new CookieClient({}, topology.entra.transport(ada));
    const login = await browser.request(`${topology.url}/auth/login`);
    const authorize = login.location ? await browser.request(login.location) : undefined;
    const callback = authorize?.location ? await browser.request(authorize.location) : undefined;
    if (callback?.status !== 303) throw new Error(`sign-in through the proxy: /auth/login ${login.status}, authorize ${authorize?.status}, callback ${callback?.status} ${callback?.body ?? ''}`);
    const cookie = await browser.jar.getCookieString(`${topology.url}/trpc/auth.user`);

    const saved = await trpcMutation(browser, topology.url, 'registry.create', { slug: 'echo', name: 'Bench echo', url: echoUrl });
    if (!(saved.body.result?.data as ServerSaved | undefined)?.discovery.ok) throw new Error(`registry.create answered ${saved.status}: ${JSON.stringify(saved.body)}`);
    const made = await trpcMutation(browser, topology.url, 'apiKeys.create', { name: 'bench' });
    if (made.status !== 200) throw new Error(`apiKeys.create answered ${made.status}: ${JSON.stringify(made.body)}`);
    const secret = (made.body.result!.data as ApiKeyCreated).secret;

    return {
      topology,
      loads: {
        'auth.user': { path: '/trpc/auth.user', headers: { cookie }, sent: {}, check: (b) => b?.result?.data?.user?.email === EMAIL },
        'tools/call': {
          path: '/mcp',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
          sent: { method: 'POST', body: TOOLS_CALL },
          check: (b) => b?.result?.content?.[0]?.text === ECHO_TEXT,
        },
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * One case's window: the answer checked first (through the proxy, once from each instance, by
 * HAProxy's X-Served-By), a discarded warm-up, then the measured window with the CPU of the
 * instances and of HAProxy around it.
 */
async function measureCase(deployed: Deployed, request: TopologyRequest, target: Target): Promise<Window> {
  const { topology } = deployed;
  const viaProxy = target !== 'direct, one instance';
  const base = viaProxy ? topology.url : `http://127.0.0.1:${topology.instances[0]!.port}`;
  const { path, headers, sent, check } = deployed.loads[request];
  const url = `${base}${path}`;
  const served = new Set<string | null>();
  let expectBody: string | undefined;
  for (let i = 0; i < (viaProxy ? topology.instances.length : 1); i++) {
    const answer = await fetch(url, { method: sent.method ?? 'GET', headers, body: sent.body });
    const text = await answer.text();
    const body = (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })();
    if (answer.status !== 200 || !check(body)) throw new Error(`${request} (${target}) answered ${answer.status} ${text}: the case would measure nothing`);
    served.add(answer.headers.get('x-served-by'));
    expectBody = text;
  }
  if (viaProxy && served.size !== topology.instances.length) throw new Error(`${request} (${target}): HAProxy sent two requests in a row to ${[...served].join(', ')}, not to each instance`);
  // Every answer of tools/call must be the echo's, to the byte (a JSON-RPC error comes with 200).
  const load: Sent = request === 'tools/call' ? { ...sent, expectBody } : sent;
  const mregPids = topology.instances.map((i) => i.process.child.pid!);
  const haproxyPid = topology.haproxy.child.pid!;
  const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

  await autocannon(url, headers, WARMUP_S, load);
  const mregBefore = cpuOf(mregPids);
  const haproxyBefore = cpuMs(haproxyPid);
  const result = await autocannon(url, headers, MEASURE_S, load);
  const mregCpuMs = cpuOf(mregPids) - mregBefore;
  const haproxyCpuMs = cpuMs(haproxyPid) - haproxyBefore;
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0),
    mregCpuMs,
    haproxyCpuMs: viaProxy ? haproxyCpuMs : null,
  };
}

export async function measureTopology(): Promise<TopologyFigures> {
  const echo = await startBenchServer('mcp-upstream.ts', {});
  const deployed: Deployed[] = [];
  try {
    console.log('   9. starting HAProxy + one MREG instance, and HAProxy + two (tsx, production mode)...');
    const one = await deploy(1, echo.url);
    deployed.push(one);
    const two = await deploy(2, echo.url);
    deployed.push(two);
    const of: Record<Target, Deployed> = { 'direct, one instance': one, 'HAProxy, one instance': one, 'HAProxy, two instances': two };
    const windows = new Map<string, Window[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const request of REQUESTS) {
        for (const target of order) {
          console.log(`   9. round ${round + 1} of ${ROUNDS}: ${request}, ${target}`);
          const window = await measureCase(of[target], request, target);
          windows.set(`${request} ${target}`, [...(windows.get(`${request} ${target}`) ?? []), window]);
        }
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const cases = REQUESTS.flatMap((request) =>
      TARGETS.map((target): Case => {
        const ws = windows.get(`${request} ${target}`)!;
        const requests = ws.reduce((sum, w) => sum + w.requests, 0);
        const haproxy = ws.every((w) => w.haproxyCpuMs === null) ? null : ws.reduce((sum, w) => sum + (w.haproxyCpuMs ?? 0), 0);
        return {
          request,
          target,
          windows: ws,
          reqPerSec: mean(ws.map((w) => w.reqPerSec)),
          p50: mean(ws.map((w) => w.p50)),
          p99: mean(ws.map((w) => w.p99)),
          requests,
          errors: ws.reduce((sum, w) => sum + w.errors, 0),
          mregCpuUsPerReq: (ws.reduce((sum, w) => sum + w.mregCpuMs, 0) * 1000) / requests,
          haproxyCpuUsPerReq: haproxy === null ? null : (haproxy * 1000) / requests,
        };
      }),
    );
    return { connections: CONNECTIONS, rounds: ROUNDS, cases };
  } finally {
    for (const d of deployed) await d.close();
    await echo.stop();
  }
}

/** The figures as Markdown: the table, the ratios two/one and proxy/direct, and what they say. */
export function topologyReport(figures: TopologyFigures): string[] {
  const find = (request: TopologyRequest, target: Target) => figures.cases.find((c) => c.request === request && c.target === target)!;
  const counted = (c: Case) => c.errors === 0;
  const cell = (c: Case, value: string) => (counted(c) ? value : `(${value})`);
  const row = (c: Case) => {
    const total = c.mregCpuUsPerReq + (c.haproxyCpuUsPerReq ?? 0);
    return `| ${c.request} | ${c.target} | ${cell(c, fmt(c.reqPerSec))} | ${fmt(c.p50, 2)} | ${fmt(c.p99, 2)} | ${c.errors} | ${fmt(c.mregCpuUsPerReq)} | ${c.haproxyCpuUsPerReq === null ? '-' : fmt(c.haproxyCpuUsPerReq)} | ${fmt(total)} |`;
  };
  const lines = [
    `### Behind HAProxy: auth.user and /mcp tools/call, one MREG instance against two (scenario 9)`,
    '',
    `autocannon, ${figures.connections} connections, ${WARMUP_S} s warm-up (discarded) and ${MEASURE_S} s measured per case and round; ${figures.rounds} round(s), the targets' order alternating; req/s, p50 and p99 are means over the rounds, CPU is summed over the rounds' windows. ` +
      "MREG CPU is every instance of the topology measured together; HAProxy's is its process's (all its threads). A case counts only with 0 errors (failed, timed out, non-2xx, or for tools/call any answer that is not the echo's); figures of a case with errors are in parentheses.",
    '',
    '| request | target | req/s | p50 ms | p99 ms | errors | MREG CPU us/req | HAProxy CPU us/req | CPU us/req, both |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...figures.cases.map(row),
    '',
  ];
  for (const request of REQUESTS) {
    const direct = find(request, 'direct, one instance');
    const one = find(request, 'HAProxy, one instance');
    const two = find(request, 'HAProxy, two instances');
    if (![direct, one, two].every(counted)) {
      lines.push(`- ${request}: not every case ran without errors; no ratio is drawn`);
      continue;
    }
    const ratio = two.reqPerSec / one.reqPerSec;
    const cpuRatio = two.mregCpuUsPerReq / one.mregCpuUsPerReq;
    lines.push(
      `- ${request}: two instances / one behind HAProxy: ${fmt(ratio, 2)}x req/s, ${fmt(cpuRatio, 2)}x MREG CPU per request, p99 ${fmt(one.p99, 2)} -> ${fmt(two.p99, 2)} ms`,
      `- ${request}: HAProxy's cost (one instance, through it / direct): ${fmt(one.reqPerSec / direct.reqPerSec, 2)}x req/s; ` +
        `HAProxy ${fmt(one.haproxyCpuUsPerReq ?? NaN)} us CPU per request, MREG ${fmt(direct.mregCpuUsPerReq)} -> ${fmt(one.mregCpuUsPerReq)} us`,
    );
  }
  lines.push(
    '',
    'Notes: the instances run through tsx (`node --import tsx`, as the topology tests start them), not the bundle of scenario 2: compare these cases with each other, not with the table above. ' +
      'autocannon, HAProxy, the instances, the MCP upstream, PostgreSQL and Redis all share the same cores, so a second instance can only add throughput where one instance leaves cores idle: ' +
      'a ratio two/one near 1 with the MREG CPU per request unchanged says the cores are the limit and nothing serialises between instances (a shared lock would show as more CPU or a higher p99 per request, or a ratio well below 1).',
  );
  return lines;
}
