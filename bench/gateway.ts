/**
 * Scenarios 7 and 8, the gateway (issue 19), with the official MCP SDK client as the load:
 *
 * 7. tools/call of a trivial tool (`echo`) by 20 concurrent clients, each with its own session,
 *    direct to the upstream, through a bare proxy (bench/servers/mcp-proxy-floor.ts: the floor of
 *    any HTTP-level proxy here), through MREG's /mcp and through /mcp/<slug>, in alternating rounds
 *    (the machine's noise falls on all three alike): p50/p99 latency, calls a second, and MREG's
 *    own CPU per call (its process's user + system time over the window / calls answered). Beside
 *    it, the CPU of what MREG does per /mcp call before any MCP (the API key's check with its
 *    owner's standing, the tenant's view and the tool's route), measured in this process against
 *    the same PostgreSQL and Redis. And an OAuth access token's check (issue 20), from this
 *    process's memory as /mcp answers a busy client, and through Redis (then the database) as a
 *    fresh instance does: wall time per check.
 *    The audit log's cost (issue 21): a second MREG on a database of its own with
 *    MREG_AUDIT_TOOL_CALLS=false, driven in the same alternating rounds as `/mcp (audit off)`;
 *    its calls a second against /mcp's (which records every call) is the share auditing takes.
 * 8. tools/list through /mcp for a tenant with 20 servers of 50 tools (1000 tools), from the
 *    catalogue: p50/p99 of one client's calls in a row.
 *
 * Every process on loopback: the upstreams (bench/servers/mcp-upstream.ts) and MREG (as deployed,
 * on PostgreSQL + Redis); the clients run here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ApiKeyCreated, ServerSaved } from '@mreg/shared';
import { signInAs, trpcMutation } from '@mreg/server/testing/sign-in';
import { approve, pkcePair, postForm, registerClient } from '@mreg/server/testing/oauth';
import { createCache } from '../server/src/cache/create';
import { parseSettings } from '../server/src/config';
import { openDatabase } from '../server/src/db/database';
import { DEMO_TENANTS } from '../server/src/identity/demo-directory';
import { systemClock } from '../server/src/lib/clock';
import { createLogger } from '../server/src/logger';
import { apiKeyDeps, authenticateApiKey, localCallers } from '../server/src/modules/apikeys/apikeys.service';
import { gatewayViews } from '../server/src/modules/gateway/view';
import { authenticateAccessToken } from '../server/src/modules/oauth/oauth.tokens';
import { scratchDatabase, startBenchServer, startMreg, type Started } from './lib/processes';
import { quick, redisUrl, runId } from './lib/settings';

export const GATEWAY_CLIENTS = 20;
const ROUNDS = quick ? 1 : 3;
const WARMUP_MS = quick ? 500 : 1500;
const WINDOW_MS = quick ? 2000 : 5000;
const CATALOGUE_SERVERS = 20;
const CATALOGUE_TOOLS = 50;
const LIST_CALLS = quick ? 100 : 400;
const ROUTING_ITERATIONS = quick ? 2000 : 10_000;

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;

export interface CallFigures {
  target: 'direct' | 'bare proxy' | '/mcp' | '/mcp (audit off)' | '/mcp/<slug>';
  calls: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** MREG's CPU per call, microseconds (none for direct). */
  mregCpuUs: number | null;
}

export interface GatewayFigures {
  clients: number;
  rounds: number;
  calls: CallFigures[];
  /** Key check, view and route, CPU microseconds per call (in this process). */
  routingCpuUs: number;
  /** An OAuth access token's check: CPU from this process's memory, and wall time through Redis (microseconds). */
  token: { localCpuUs: number; redisWallUs: number };
  list: { servers: number; tools: number; p50Ms: number; p99Ms: number; calls: number };
  /** Tool-call events the auditing MREG wrote for its /mcp calls (warm-ups included), and the calls answered. */
  audited: { events: number; calls: number };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** User + system CPU of a process so far, in microseconds (Linux /proc, clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function connectClients(url: string, secret: string | undefined, count: number): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const client = new Client({ name: 'mreg-bench', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), secret ? { requestInit: { headers: { authorization: `Bearer ${secret}` } } } : {}));
      return client;
    }),
  );
}

/** Every client calls `tool` in a loop for `ms`; the latencies of the answers that came back right. */
async function drive(clients: Client[], tool: string, ms: number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + ms;
  await Promise.all(
    clients.map(async (client, i) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          const result = await client.callTool({ name: tool, arguments: { text: `c${i}` } });
          const text = (result.content as { text?: string }[])[0]?.text;
          if (text !== `c${i}`) throw new Error(`unexpected answer ${JSON.stringify(result)}`);
          latencies.push(performance.now() - started);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { latencies, errors };
}

/** Signs ada in and registers the echo server in Contoso; answers her session and an API key there. */
async function echoInContoso(mreg: Started, echoUrl: string) {
  const { client: ada } = await signInAs(mreg.url, 'ada@contoso.test');
  const create = async (slug: string, url: string) => {
    const saved = await trpcMutation(ada, mreg.url, 'registry.create', { slug, name: `Bench ${slug}`, url });
    const body = saved.body.result?.data as ServerSaved | undefined;
    if (!body?.discovery.ok) throw new Error(`registry.create ${slug} answered ${saved.status}: ${JSON.stringify(saved.body)}`);
  };
  const key = async () => {
    const made = await trpcMutation(ada, mreg.url, 'apiKeys.create', { name: 'bench' });
    if (made.status !== 200) throw new Error(`apiKeys.create answered ${made.status}`);
    return (made.body.result!.data as ApiKeyCreated).secret;
  };
  await create('echo', echoUrl);
  return { ada, create, key, contosoKey: await key() };
}

async function setUp(mreg: Started, echoUrl: string, catalogueUrl: string) {
  const { ada, create, key, contosoKey } = await echoInContoso(mreg, echoUrl);
  const accessToken = await oauthToken(mreg.url, ada);
  // The big catalogue in the other tenant, so that the calls' tenant keeps a small one.
  if ((await trpcMutation(ada, mreg.url, 'auth.switchTenant', { tenantId: FABRIKAM!.id })).status !== 200) throw new Error('switchTenant failed');
  for (let i = 1; i <= CATALOGUE_SERVERS; i++) await create(`cat-${i}`, catalogueUrl);
  const fabrikamKey = await key();
  return { contosoKey, fabrikamKey, accessToken };
}

/** An access token for Contoso's /mcp, through the whole OAuth flow (registration, consent, code, PKCE). */
async function oauthToken(baseUrl: string, person: Parameters<typeof approve>[0]): Promise<string> {
  const registered = await registerClient(baseUrl, { client_name: 'bench', redirect_uris: ['http://127.0.0.1:9/callback'] });
  const clientId = registered.body.client_id as string;
  const { verifier, challenge } = pkcePair();
  const authorize = new URL(`${baseUrl}/authorize`);
  const params = { response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: challenge, code_challenge_method: 'S256', resource: `${baseUrl}/mcp` };
  for (const [name, value] of Object.entries(params)) authorize.searchParams.set(name, value);
  const { code } = await approve(person, baseUrl, authorize, CONTOSO!.id);
  const tokens = await postForm(`${baseUrl}/token`, { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: params.redirect_uri, code_verifier: verifier });
  if (tokens.status !== 200) throw new Error(`/token answered ${tokens.status}: ${JSON.stringify(tokens.body)}`);
  return tokens.body.access_token as string;
}

/** Key check, view and route as /mcp does them before any MCP: CPU per call in this process; and the access token's checks. */
async function routingCpu(databaseUrl: string, namespace: string, secret: string, accessToken: string): Promise<{ routing: number; token: GatewayFigures['token'] }> {
  const logger = createLogger('silent');
  const settings = parseSettings({ MREG_DATABASE_URL: databaseUrl, MREG_REDIS_URL: redisUrl, MREG_REDIS_NAMESPACE: namespace });
  const db = await openDatabase({ databaseUrl, dataDir: '.', statementTimeoutMs: 10_000, logger });
  const cache = await createCache({ redisUrl, logger, namespace });
  // As the app keeps them: the verified callers of this process (while their invalidations are heard).
  const local = localCallers(cache, logger);
  const deps = apiKeyDeps({ em: db.orm.em, cache, clock: systemClock, settings, local });
  try {
    const views = gatewayViews(db.orm.em);
    const once = async () => {
      const check = await authenticateApiKey(deps, secret);
      if (!check.ok) throw new Error(check.message);
      const view = await views.of(check.caller.tenant.tenantId);
      if (!view.toolRoutes.get('echo__echo')) throw new Error('no route for echo__echo');
    };
    const perCall = async (step: () => Promise<unknown>) => {
      for (let i = 0; i < 200; i++) await step();
      const before = process.cpuUsage();
      for (let i = 0; i < ROUTING_ITERATIONS; i++) await step();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / ROUTING_ITERATIONS;
    };
    const keyOnly = await perCall(() => authenticateApiKey(deps, secret));
    const viewOnly = await perCall(async () => (await views.of(CONTOSO!.id)).toolRoutes.get('echo__echo'));
    console.log(`   7. key check ${keyOnly.toFixed(1)} us, view and route ${viewOnly.toFixed(1)} us CPU per call`);
    const checkToken = async (using: typeof deps) => {
      const check = await authenticateAccessToken(using, accessToken);
      if (!check.ok) throw new Error(check.message);
    };
    const localCpuUs = await perCall(() => checkToken(deps));
    // Without this process's memory: the cache (Redis) answers every check, as on an instance that has not seen the token.
    const viaRedis = { ...deps, local: undefined };
    for (let i = 0; i < 200; i++) await checkToken(viaRedis);
    const started = performance.now();
    for (let i = 0; i < ROUTING_ITERATIONS; i++) await checkToken(viaRedis);
    const redisWallUs = ((performance.now() - started) * 1000) / ROUTING_ITERATIONS;
    console.log(`   7. access token check ${localCpuUs.toFixed(1)} us CPU from memory, ${redisWallUs.toFixed(0)} us wall through Redis`);
    return { routing: await perCall(once), token: { localCpuUs, redisWallUs } };
  } finally {
    await local.close();
    await cache.close();
    await db.close();
  }
}

export async function measureGateway({ cwd, dataDir }: { cwd: string; dataDir: string }): Promise<GatewayFigures> {
  const echo = await startBenchServer('mcp-upstream.ts', {});
  // The floor of an HTTP-level proxy here: what /mcp/<slug> costs above it is MREG's.
  const floor = await startBenchServer('mcp-proxy-floor.ts', { BENCH_UPSTREAM: echo.url });
  const catalogue = await startBenchServer('mcp-upstream.ts', { BENCH_TOOLS: String(CATALOGUE_TOOLS - 1) });
  const db = await scratchDatabase('gateway');
  const namespace = `${runId}_gateway`;
  const mreg = await startMreg(
    {
      MREG_DATABASE_URL: db.url,
      MREG_REDIS_URL: redisUrl,
      MREG_REDIS_NAMESPACE: namespace,
      MREG_DATA_DIR: join(dataDir, 'gateway'),
      MREG_REGISTRY_ALLOW_PRIVATE: 'true',
      MREG_GATEWAY_RATE_LIMIT: '10000000',
      MREG_GATEWAY_TENANT_RATE_LIMIT: '10000000',
    },
    cwd,
  );
  // The same, recording no tool calls: what auditing costs /mcp.
  const quietDb = await scratchDatabase('gateway_quiet');
  const quiet = await startMreg(
    {
      MREG_DATABASE_URL: quietDb.url,
      MREG_REDIS_URL: redisUrl,
      MREG_REDIS_NAMESPACE: `${namespace}_quiet`,
      MREG_DATA_DIR: join(dataDir, 'gateway-quiet'),
      MREG_REGISTRY_ALLOW_PRIVATE: 'true',
      MREG_GATEWAY_RATE_LIMIT: '10000000',
      MREG_GATEWAY_TENANT_RATE_LIMIT: '10000000',
      MREG_AUDIT_TOOL_CALLS: 'false',
    },
    cwd,
  );
  const all: Client[] = [];
  try {
    const { contosoKey, fabrikamKey, accessToken } = await setUp(mreg, echo.url, catalogue.url);
    // Set up as the other, catalogue and all, so that auditing is the only difference.
    const { contosoKey: quietKey } = await setUp(quiet, echo.url, catalogue.url);
    const mregPid = mreg.child.pid!;
    const targets = [
      { target: 'direct' as const, tool: 'echo', pid: null, clients: await connectClients(echo.url, undefined, GATEWAY_CLIENTS) },
      { target: 'bare proxy' as const, tool: 'echo', pid: null, clients: await connectClients(floor.url, undefined, GATEWAY_CLIENTS) },
      { target: '/mcp' as const, tool: 'echo__echo', pid: mregPid, clients: await connectClients(`${mreg.url}/mcp`, contosoKey, GATEWAY_CLIENTS) },
      { target: '/mcp (audit off)' as const, tool: 'echo__echo', pid: quiet.child.pid!, clients: await connectClients(`${quiet.url}/mcp`, quietKey, GATEWAY_CLIENTS) },
      { target: '/mcp/<slug>' as const, tool: 'echo', pid: mregPid, clients: await connectClients(`${mreg.url}/mcp/echo`, contosoKey, GATEWAY_CLIENTS) },
    ];
    // MREG_BENCH_GATEWAY_TARGETS=/mcp (comma-separated): only those, to profile one (MREG_BENCH_CPU_PROF=1).
    const chosen = process.env.MREG_BENCH_GATEWAY_TARGETS?.split(',');
    if (chosen) targets.splice(0, targets.length, ...targets.filter((t) => chosen.includes(t.target)));
    all.push(...targets.flatMap((t) => t.clients));
    const totals = new Map(targets.map((t) => [t.target, { latencies: [] as number[], errors: 0, ms: 0, cpu: 0 }]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
      for (const { target, tool, clients, pid } of order) {
        console.log(`   7. round ${round + 1} of ${ROUNDS}: tools/call ${target}`);
        await drive(clients, tool, WARMUP_MS);
        const cpuBefore = pid ? cpuUs(pid) : 0;
        const started = performance.now();
        const { latencies, errors } = await drive(clients, tool, WINDOW_MS);
        const total = totals.get(target)!;
        total.ms += performance.now() - started;
        total.cpu += pid ? cpuUs(pid) - cpuBefore : 0;
        total.latencies.push(...latencies);
        total.errors += errors;
      }
    }
    const calls: CallFigures[] = targets.map(({ target, pid }) => {
      const { latencies, errors, ms, cpu } = totals.get(target)!;
      const sorted = latencies.sort((a, b) => a - b);
      return {
        target,
        calls: sorted.length,
        errors,
        perSecond: sorted.length / (ms / 1000),
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        mregCpuUs: pid === null ? null : cpu / Math.max(1, sorted.length),
      };
    });

    console.log('   7. key check and routing, CPU per call...');
    const { routing: routingCpuUs, token } = await routingCpu(db.url, namespace, contosoKey, accessToken);

    console.log(`   8. tools/list of ${CATALOGUE_SERVERS} servers x ${CATALOGUE_TOOLS} tools...`);
    const [lister] = await connectClients(`${mreg.url}/mcp`, fabrikamKey, 1);
    all.push(lister!);
    const first = await lister!.listTools();
    if (first.tools.length !== CATALOGUE_SERVERS * CATALOGUE_TOOLS) throw new Error(`tools/list answered ${first.tools.length} tools, not ${CATALOGUE_SERVERS * CATALOGUE_TOOLS}`);
    const listTimes: number[] = [];
    for (let i = 0; i < LIST_CALLS; i++) {
      const started = performance.now();
      await lister!.listTools();
      listTimes.push(performance.now() - started);
    }
    listTimes.sort((a, b) => a - b);
    // Written within a second of each call: a second and a half after the last, all are in.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const audited = await countToolCallEvents(db.url);
    const auditedCalls = totals.get('/mcp')?.latencies.length ?? 0;
    console.log(`   7. ${audited} tool-call audit events written for ${auditedCalls} measured /mcp calls (warm-ups included in the events)`);
    return {
      clients: GATEWAY_CLIENTS,
      rounds: ROUNDS,
      calls,
      routingCpuUs,
      token,
      list: { servers: CATALOGUE_SERVERS, tools: first.tools.length, p50Ms: quantile(listTimes, 0.5), p99Ms: quantile(listTimes, 0.99), calls: LIST_CALLS },
      audited: { events: audited, calls: auditedCalls },
    };
  } finally {
    await Promise.all(all.map((client) => client.close().catch(() => undefined)));
    await Promise.all([mreg.stop(), quiet.stop()]);
    await Promise.all([echo.stop(), catalogue.stop(), floor.stop()]);
  }
}

/** Tool-call events of /mcp (not /mcp/<slug>) in the audit log of the database at `url`. */
async function countToolCallEvents(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`select count(*) as n from audit_events where action = 'tool.called' and details->>'via' is null`);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** The figures as Markdown, with the issue's goals judged. */
export function gatewayReport(figures: GatewayFigures): string[] {
  const direct = figures.calls.find((c) => c.target === 'direct');
  if (!direct || figures.calls.length < 4) return figures.calls.map((c) => `${c.target}: p50 ${c.p50Ms.toFixed(2)} ms, p99 ${c.p99Ms.toFixed(2)} ms, ${c.perSecond.toFixed(0)} calls/s, MREG CPU ${c.mregCpuUs === null ? '-' : `${c.mregCpuUs.toFixed(0)} us/call`}`);
  const row = (c: CallFigures) =>
    `| ${c.target} | ${c.calls} | ${c.errors} | ${c.perSecond.toFixed(0)} | ${c.p50Ms.toFixed(2)} | ${c.p99Ms.toFixed(2)} | ${(c.p50Ms / direct!.p50Ms).toFixed(2)}x | ${c.mregCpuUs === null ? '-' : c.mregCpuUs.toFixed(0)} |`;
  const via = (target: CallFigures['target']) => figures.calls.find((c) => c.target === target)!;
  const ratio = (target: CallFigures['target']) => via(target).p50Ms / direct!.p50Ms;
  const judge = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const audited = via('/mcp');
  const quiet = figures.calls.find((c) => c.target === '/mcp (audit off)');
  const auditCost = quiet ? 1 - audited.perSecond / quiet.perSecond : NaN;
  return [
    `### Gateway: tools/call of a trivial tool, ${figures.clients} concurrent SDK clients, ${figures.rounds} alternating round(s)`,
    '',
    '| target | calls | errors | calls/s | p50 ms | p99 ms | p50 vs direct | MREG CPU us/call |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...figures.calls.map(row),
    '',
    `Key check and routing (API key with its owner's standing, the tenant's view, the route): ${figures.routingCpuUs.toFixed(1)} us CPU per call.`,
    '',
    `OAuth access token check: ${figures.token.localCpuUs.toFixed(1)} us CPU from this process's memory; ${figures.token.redisWallUs.toFixed(0)} us wall through Redis (a token this instance has not seen).`,
    '',
    `### Gateway: tools/list from the catalogue, ${figures.list.servers} servers x ${figures.list.tools / figures.list.servers} tools (${figures.list.tools} tools)`,
    '',
    `p50 ${figures.list.p50Ms.toFixed(2)} ms, p99 ${figures.list.p99Ms.toFixed(2)} ms over ${figures.list.calls} calls in a row.`,
    '',
    `- /mcp/<slug> p50 <= 1.10x direct: ${ratio('/mcp/<slug>').toFixed(2)}x, ${judge(ratio('/mcp/<slug>') <= 1.1)} (a bare Node.js proxy with nothing but undici forwarding: ${ratio('bare proxy').toFixed(2)}x)`,
    `- /mcp p50 <= 1.25x direct: ${ratio('/mcp').toFixed(2)}x, ${judge(ratio('/mcp') <= 1.25)}`,
    ...(quiet
      ? [
          `- recording tool calls in the audit log lowers /mcp throughput by <= 5%: ${audited.perSecond.toFixed(0)} calls/s audited vs ${quiet.perSecond.toFixed(0)} with MREG_AUDIT_TOOL_CALLS=false, ` +
            `${(auditCost * 100).toFixed(1)}% (CPU ${audited.mregCpuUs?.toFixed(0)} vs ${quiet.mregCpuUs?.toFixed(0)} us/call), ${judge(auditCost <= 0.05)}; ` +
            `${figures.audited.events} events written for ${figures.audited.calls} measured calls and their warm-ups`,
        ]
      : []),
    `- key check and routing <= 50 us CPU per call: ${figures.routingCpuUs.toFixed(1)} us, ${judge(figures.routingCpuUs <= 50)}`,
    `- access token check well under a millisecond (< 500 us wall through Redis): ${figures.token.redisWallUs.toFixed(0)} us, ${judge(figures.token.redisWallUs < 500)}`,
  ];
}
