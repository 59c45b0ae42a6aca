import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server';
import {
  captureLogger,
  createDatabaseTarget,
  databaseMode,
  startTestApp,
  testRedisUrl,
  testSettings,
  uniqueName,
  type DatabaseTarget,
  type TestApp,
} from '../testing/harness';
import { signInAs, trpcQuery } from '../testing/sign-in';

const TOKEN = randomBytes(32).toString('base64url');

const apps: TestApp[] = [];
const servers: RunningServer[] = [];
const targets: DatabaseTarget[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const server of servers.splice(0)) await server.stop();
  for (const target of targets.splice(0)) await target.drop();
});

async function app(env: Record<string, string> = {}) {
  const a = await startTestApp({ env });
  apps.push(a);
  return a;
}

/** A scrape as a map from `name{label="value",...}` (labels sorted) to its value. */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    series.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return series;
}

/** One series' value (0 when absent), labels given in any order. */
function value(scrape: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const key = `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`;
  return scrape.get(key) ?? 0;
}

async function scrape(url: string): Promise<{ text: string; series: Map<string, number> }> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, series: parse(text) };
}

describe(`/metrics (${databaseMode}, ${testRedisUrl ? 'redis' : 'memory'} cache)`, () => {
  it('counts tRPC calls by procedure, session cache hits, sign-ins and failed sign-ins by reason, routes by pattern', async () => {
    const { url, cache } = await app({ MREG_METRICS_TOKEN: TOKEN });
    const before = (await scrape(url)).series;

    const { client } = await signInAs(url, 'ada@contoso.test');
    for (let i = 0; i < 3; i++) expect((await trpcQuery(client, url, 'auth.user')).status).toBe(200);
    // A callback nobody started: refused as no_request.
    expect((await fetch(`${url}/auth/callback?state=x&code=y`, { redirect: 'manual' })).status).toBe(400);
    expect((await fetch(`${url}/no/such/page-${randomUUID()}`)).status).toBe(404);
    const avatar = await client.request(`${url}/avatars/${randomUUID()}/abcdef`);
    expect(avatar.status).toBe(404);

    const { text, series: after } = await scrape(url);
    const delta = (name: string, labels?: Record<string, string>) => value(after, name, labels) - value(before, name, labels);

    const authUser = { procedure: 'auth.user', type: 'query', code: 'OK' };
    expect(delta('mreg_trpc_calls_total', authUser)).toBe(3);
    expect(delta('mreg_trpc_call_duration_seconds_count', { procedure: 'auth.user', type: 'query' })).toBe(3);
    // Every lookup after the first finds the session in the cache (the avatar request's too).
    expect(delta('mreg_session_cache_total', { result: 'hit' })).toBeGreaterThanOrEqual(3);
    expect(delta('mreg_session_cache_total', { result: 'hit' }) + delta('mreg_session_cache_total', { result: 'miss' })).toBe(4);
    expect(delta('mreg_sign_ins_total')).toBe(1);
    expect(delta('mreg_sign_in_failures_total', { reason: 'no_request' })).toBe(1);
    expect(after.has('mreg_sign_in_failures_total{reason="tenant_not_allowed"}')).toBe(true);

    expect(delta('mreg_http_requests_total', { method: 'GET', route: '/trpc', status: '200' })).toBe(3);
    expect(delta('mreg_http_requests_total', { method: 'GET', route: '/auth/callback', status: '400' })).toBe(1);
    expect(delta('mreg_http_requests_total', { method: 'GET', route: '/auth/callback', status: '303' })).toBe(1);
    expect(delta('mreg_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta('mreg_http_requests_total', { method: 'GET', route: '/avatars/:userId/:hash', status: '404' })).toBe(1);
    expect(delta('mreg_http_request_duration_seconds_bucket', { method: 'GET', route: '/trpc', le: '+Inf' })).toBe(3);
    // Labels carry patterns only: no URL, no input, no token.
    expect([...after.keys()].join('\n')).not.toMatch(/no\/such|abcdef|\?/);
    expect(text).not.toContain(TOKEN);

    expect(value(after, 'mreg_active_sessions')).toBe(1);
    expect(value(after, 'mreg_cache_up', { kind: cache.kind })).toBe(1);
    expect(value(after, 'mreg_db_pool_max')).toBe(10);
    expect(after.has('mreg_db_pool_connections{state="used"}')).toBe(true);
    expect(after.has('mreg_db_pool_connections{state="pending"}')).toBe(true);
    expect(value(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after.has('nodejs_eventloop_lag_seconds{}')).toBe(true);
  });

  it('is not on the public port without MREG_METRICS_TOKEN', async () => {
    const { url } = await app();
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('asks for the token on the public port: 401 without it or with a wrong one, 200 with it', async () => {
    const { url, logs } = await app({ MREG_METRICS_TOKEN: TOKEN });
    const missing = await fetch(`${url}/metrics`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mreg-metrics"');
    expect(await missing.text()).not.toContain('mreg_');

    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="mreg-metrics", error="invalid_token"');
    expect((await fetch(`${url}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);

    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(logs.some((line) => line.includes('/metrics refused'))).toBe(true);
    expect(logs.join('\n')).not.toContain(TOKEN.slice(0, 20));
  });

  async function server(env: Record<string, string>) {
    const target = await createDatabaseTarget();
    targets.push(target);
    const { logger, lines } = captureLogger('info');
    const settings = testSettings({
      MREG_DATA_DIR: target.dataDir,
      ...(target.databaseUrl ? { MREG_DATABASE_URL: target.databaseUrl } : {}),
      ...(testRedisUrl ? { MREG_REDIS_URL: testRedisUrl, MREG_REDIS_NAMESPACE: uniqueName() } : {}),
      ...env,
    });
    const running = await startServer(settings, logger);
    servers.push(running);
    return { running, lines };
  }

  it('serves /metrics on its own loopback listener (MREG_METRICS_PORT=0: a free port, logged), closed at shutdown', async () => {
    const { running, lines } = await server({ MREG_METRICS_PORT: '0' });
    expect(running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(lines.some((line) => line.includes('"Metrics listening"') && line.includes(running.metricsUrl!))).toBe(true);

    await fetch(`${running.url}/trpc/config.features`);
    const res = await fetch(running.metricsUrl!);
    expect(res.status).toBe(200);
    const series = parse(await res.text());
    expect(value(series, 'mreg_trpc_calls_total', { procedure: 'config.features', type: 'query', code: 'OK' })).toBe(1);
    expect(value(series, 'mreg_active_sessions')).toBe(0);
    // Only /metrics there; and not on the public port, since no token is set.
    expect((await fetch(running.metricsUrl!.replace('/metrics', '/healthz'))).status).toBe(404);
    expect((await fetch(`${running.url}/metrics`)).status).toBe(404);

    await running.stop();
    servers.splice(servers.indexOf(running), 1);
    await expect(fetch(running.metricsUrl!)).rejects.toThrow();
  });

  it('asks for MREG_METRICS_TOKEN on the loopback listener too when it is set, as on the public port', async () => {
    const { running, lines } = await server({ MREG_METRICS_PORT: '0', MREG_METRICS_TOKEN: TOKEN });
    const metricsUrl = running.metricsUrl!;

    const missing = await fetch(metricsUrl);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mreg-metrics"');
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(await missing.text()).toBe('Unauthorized: /metrics needs Authorization: Bearer <MREG_METRICS_TOKEN>\n');

    const wrong = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="mreg-metrics", error="invalid_token"');
    expect(await wrong.text()).not.toContain('mreg_');
    for (const authorization of [TOKEN, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      expect((await fetch(metricsUrl, { headers: { authorization } })).status, authorization.slice(0, 8)).toBe(401);
    }
    expect((await fetch(metricsUrl, { method: 'HEAD' })).status).toBe(401);

    const allowed = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(parse(await allowed.text()).has('mreg_active_sessions{}')).toBe(true);
    // The same token opens the public port's /metrics.
    expect((await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);

    const refusals = lines.filter((line) => line.includes('/metrics refused'));
    expect(refusals.some((line) => line.includes('"authorization":"missing"'))).toBe(true);
    expect(refusals.some((line) => line.includes('"authorization":"wrong"'))).toBe(true);
    expect(lines.join('\n')).not.toContain(TOKEN.slice(0, 20));
  });

  it('has no metrics listener with MREG_METRICS_PORT=off', async () => {
    const { running, lines } = await server({ MREG_METRICS_PORT: 'off' });
    expect(running.metricsUrl).toBeUndefined();
    expect(lines.some((line) => line.includes('"Metrics listening"'))).toBe(false);
  });

  it('starts without the metrics listener when its port is taken, saying so', async () => {
    const first = await server({ MREG_METRICS_PORT: '0' });
    const port = new URL(first.running.metricsUrl!).port;
    const { running, lines } = await server({ MREG_METRICS_PORT: port });
    expect(running.metricsUrl).toBeUndefined();
    expect(lines.some((line) => line.includes(`MREG_METRICS_PORT: cannot listen on 127.0.0.1:${port}`))).toBe(true);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });
});
