import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabaseTarget, databaseMode, startTestApp, type TestApp } from './testing/harness';
import { signInAs } from './testing/sign-in';
import { proxyPostgres } from './testing/tcp-proxy';
import { freePort } from './testing/processes';

let webDir: string;
const bundle = Buffer.from(Array.from({ length: 2000 }, (_, i) => `export const v${i} = ${i};`).join('\n'));
const apps: TestApp[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  webDir = await mkdtemp(join(tmpdir(), 'mreg-web-'));
  await mkdir(join(webDir, 'assets'));
  await writeFile(join(webDir, 'index.html'), '<!doctype html><html lang="en"><title>MREG</title><div id="root"></div></html>');
  await writeFile(join(webDir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  // As the build leaves a bundle: the plain file with its .br and .gz beside it (vite.config.ts).
  await writeFile(join(webDir, 'assets', 'app-XyZ789.js'), bundle);
  await writeFile(join(webDir, 'assets', 'app-XyZ789.js.br'), brotliCompressSync(bundle));
  await writeFile(join(webDir, 'assets', 'app-XyZ789.js.gz'), gzipSync(bundle));
  await writeFile(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
});
afterAll(() => rm(webDir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(options: Parameters<typeof startTestApp>[0] = {}) {
  const a = await startTestApp({ webDir, ...options });
  apps.push(a);
  return a;
}

/** A GET with exactly these headers (fetch would add its own Accept-Encoding), body undecoded. */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A response body as the test reads it. */
const json = (res: Response) => res.json() as Promise<Record<string, any>>;

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe(`host (${databaseMode})`, () => {
  it('answers /healthz and /readyz', async () => {
    const { url } = await app();
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await json(health)).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ready', checks: { database: 'ok', cache: 'ok' } });
  });

  it('serves config.features over tRPC and a JSON 404 for an unknown procedure', async () => {
    const { url } = await app({ env: { MREG_FASTMCP_AVATAR_STORAGE_ENABLED: 'false' } });
    const res = await fetch(`${url}/trpc/config.features`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.result.data).toMatchObject({ avatarStorage: false, enhancedAuth: true, preferencesStorage: 'database', signIn: 'development' });

    const missing = await fetch(`${url}/trpc/config.nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    const error = await json(missing);
    expect(error.error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(error.error.data.stack).toBeUndefined();
  });

  it('refuses an oversized tRPC body with 413 and broken JSON with 400', async () => {
    const { url } = await app();
    const big = await fetch(`${url}/trpc/config.features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(300 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await json(big)).toMatchObject({ error: 'Request body too large; the limit is 262144 bytes' });
    const broken = await fetch(`${url}/trpc/config.features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"json": ',
    });
    expect(broken.status).toBe(400);
    expect(await json(broken)).toMatchObject({ error: 'Request body is not valid JSON' });
  });

  it('refuses JSON nested deeper than the limit with 400, for a POST body and a GET input alike', async () => {
    const { url } = await app();
    const { client } = await signInAs(url, 'uma@contoso.test');
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    for (const depth of [65, 10_000, 100_000]) {
      const deep = await fetch(`${url}/trpc/auth.updatePreferences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"category":"ui","preferences":{"a":${nested(depth)}}}`,
      });
      expect(deep.status, `depth ${depth}`).toBe(400);
      expect((await json(deep)).error).toMatchObject({ message: 'Request body nests deeper than 64 levels', data: { code: 'BAD_REQUEST' } });
    }
    // At the limit it reaches the procedure (which asks for a session first).
    const atLimit = await fetch(`${url}/trpc/auth.updatePreferences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"category":"ui","preferences":{"a":${nested(62)}}}`,
    });
    expect(atLimit.status).toBe(401);
    // A query's input travels in the URL, which Node bounds (16 KiB of headers): as deep as that
    // allows, the schema answers it like any other bad input, signed in, not with a crash.
    const query = await client.request(`${url}/trpc/auth.preferences?input=${encodeURIComponent(`{"category":${nested(1500)}}`)}`);
    expect(query.status).toBe(400);
    expect(JSON.parse(query.body).error.message).toMatch(/^category: /);
  });

  describe('SPA', () => {
    it('serves index.html for HTML navigations, uncached', async () => {
      const { url } = await app();
      const root = await fetch(`${url}/`, { headers: { accept: '*/*' } });
      expect(await root.text()).toContain('<div id="root">');
      for (const path of ['/', '/dashboard', '/settings/profile']) {
        const res = await fetch(`${url}${path}`, { headers: html });
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(await res.text()).toContain('<div id="root">');
      }
    });

    it("puts the theme cookie's light or dark on <html>, so that the first paint has it, and nothing else", async () => {
      const { url } = await app();
      const page = async (cookie?: string) => {
        const res = await fetch(`${url}/dashboard`, { headers: { ...html, ...(cookie ? { cookie } : {}) } });
        expect(res.headers.get('vary')).toMatch(/Cookie/);
        return res.text();
      };
      expect(await page('mreg_theme=dark')).toContain('<html data-theme="dark" lang="en">');
      expect(await page('other=1; mreg_theme=light')).toContain('<html data-theme="light" lang="en">');
      for (const cookie of [undefined, 'mreg_theme=system', 'mreg_theme=dark%22%20onload%3D%22x', 'mreg_theme=']) {
        expect(await page(cookie), String(cookie)).toContain('<html lang="en">');
      }
      // And the app's language on <html lang>, only as a tag of its languages.
      expect(await page('mreg_lang=de-DE; mreg_theme=dark')).toContain('<html data-theme="dark" lang="de-DE">');
      for (const cookie of ['mreg_lang=fr-FR', 'mreg_lang=de%22%20onload%3D%22x', 'mreg_lang=']) {
        expect(await page(cookie), cookie).toContain('<html lang="en">');
      }
    });

    it('serves hashed assets as immutable and other files as they are', async () => {
      const { url } = await app();
      const asset = await fetch(`${url}/assets/index-AbC123.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const icon = await fetch(`${url}/favicon.svg`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    });

    it('sends a precompressed asset as Accept-Encoding allows, and the plain file otherwise', async () => {
      const { url } = await app();
      const asset = `${url}/assets/app-XyZ789.js`;
      const cases: [Record<string, string>, string | undefined, (body: Buffer) => Buffer][] = [
        [{ 'accept-encoding': 'br' }, 'br', brotliDecompressSync],
        [{ 'accept-encoding': 'gzip, deflate, br' }, 'br', brotliDecompressSync],
        [{ 'accept-encoding': 'gzip' }, 'gzip', gunzipSync],
        [{ 'accept-encoding': 'identity' }, undefined, (body) => body],
        [{}, undefined, (body) => body],
      ];
      for (const [headers, encoding, decode] of cases) {
        const res = await rawGet(asset, headers);
        const label = headers['accept-encoding'] ?? 'no Accept-Encoding';
        expect(res.headers['content-encoding'], label).toBe(encoding);
        expect(res.headers['vary'], label).toBe('Accept-Encoding');
        expect(res.headers['content-type'], label).toMatch(/^text\/javascript; charset=utf-8$/i);
        expect(res.headers['cache-control'], label).toBe('public, max-age=31536000, immutable');
        expect(Number(res.headers['content-length']), label).toBe(res.body.length);
        expect(decode(res.body).equals(bundle), label).toBe(true);
      }
      // An asset without compressed copies goes out plain, with no Vary to split caches on.
      const small = await rawGet(`${url}/assets/index-AbC123.js`, { 'accept-encoding': 'br, gzip' });
      expect(small.headers['content-encoding']).toBeUndefined();
      expect(small.headers['vary']).toBeUndefined();
      expect(small.body.toString()).toBe('console.log(1)');
      // index.html stays plain whatever the client accepts.
      const index = await rawGet(`${url}/dashboard`, { ...html, 'accept-encoding': 'br, gzip' });
      expect(index.headers['content-encoding']).toBeUndefined();
      expect(index.body.toString()).toContain('<div id="root">');
    });

    it('answers 404, not index.html, for missing files and non-HTML requests', async () => {
      const { url } = await app();
      const cases: [string, RequestInit][] = [
        ['/assets/missing.js', { headers: html }],
        ['/assets/missing', { headers: html }],
        ['/missing.png', { headers: html }],
        ['/dashboard', { headers: { accept: 'application/json' } }],
        ['/dashboard', { headers: { accept: '*/*' } }],
        ['/dashboard', { method: 'POST', headers: html }],
        ['/trpc/nothing.here', { headers: html }],
      ];
      for (const [path, init] of cases) {
        const res = await fetch(`${url}${path}`, init);
        expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
        expect(await res.text()).not.toContain('<div id="root">');
      }
    });

    it('explains how to build the SPA when it is not built', async () => {
      const { url } = await app({ webDir: join(webDir, 'does-not-exist') });
      const res = await fetch(`${url}/`, { headers: html });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('pnpm build');
    });
  });

  it('sends security headers, with HSTS only behind https', async () => {
    const plain = await app();
    const res = await fetch(`${plain.url}/`, { headers: html });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('strict-transport-security')).toBeNull();

    const secure = await app({ env: { MREG_PUBLIC_URL: 'https://mreg.example.com', MREG_DEV_SIGN_IN: 'true' } });
    const res2 = await fetch(`${secure.url}/healthz`);
    expect(res2.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res2.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });

  it('tags each request with an id and keeps cookies, tokens and query strings out of the log', async () => {
    const a = await app();
    const res = await fetch(`${a.url}/trpc/config.features?code=SECRET1`, {
      headers: { cookie: 'mreg_session=SECRET2', 'x-request-id': 'req-42' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    // A bearer credential, refused, is not logged either.
    const bearer = await fetch(`${a.url}/mcp`, { method: 'POST', headers: { authorization: 'Bearer SECRET3', 'x-request-id': 'req-43' } });
    expect(bearer.status).toBe(401);
    await vi.waitFor(() => expect(a.logs.some((l) => l.includes('"req-43"'))).toBe(true));
    const generated = await fetch(`${a.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await vi.waitFor(() => expect(a.logs.some((l) => l.includes('"req-42"'))).toBe(true));
    const line = JSON.parse(a.logs.find((l) => l.includes('"req-42"'))!);
    expect(line).toMatchObject({ req: { id: 'req-42', method: 'GET', path: '/trpc/config.features', remoteAddress: '127.0.0.1' }, res: { statusCode: 200 } });
    expect(Object.keys(line.req).sort()).toEqual(['id', 'method', 'path', 'remoteAddress']);
    expect(Object.keys(line.res)).toEqual(['statusCode']);
    expect(a.logs.join('\n')).not.toMatch(/SECRET\d/);
  });
});

describe(`/readyz when a dependency fails (${databaseMode})`, () => {
  it('says 503 naming the database while it is gone, and 200 once it is back', async () => {
    const target = await createDatabaseTarget();
    cleanups.push(() => target.drop());
    const { proxy, url: viaProxy } = await proxyPostgres(target.databaseUrl);
    cleanups.push(() => proxy.close());
    const a = await app({ databaseUrl: viaProxy });

    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
    proxy.cut();
    const started = performance.now();
    const down = await fetch(`${a.url}/readyz`);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(down.status).toBe(503);
    const body = await json(down);
    expect(body.status).toBe('unavailable');
    expect(body.checks.database).toBe('unavailable');
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONN|postgres/);
    expect(a.logs.some((l) => l.includes('/readyz: database unavailable'))).toBe(true);
    expect(body.checks.cache).toBe('ok');
    // The process stays up and answers everything else.
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);

    proxy.restore();
    await vi.waitFor(async () => expect((await fetch(`${a.url}/readyz`)).status).toBe(200), { timeout: 10_000, interval: 250 });
  });

  it('answers 503 within a few seconds when the database takes connections but never answers, and recovers', async () => {
    const target = await createDatabaseTarget();
    cleanups.push(() => target.drop());
    const { proxy, url: viaProxy } = await proxyPostgres(target.databaseUrl);
    cleanups.push(() => proxy.close());
    const a = await app({ databaseUrl: viaProxy, env: { MREG_DATABASE_STATEMENT_TIMEOUT: '1' } });
    const { token } = await signInAs(a.url, 'uma@contoso.test');
    const members = () =>
      fetch(`${a.url}/trpc/auth.sessions`, { headers: { cookie: `mreg_session=${token}` }, signal: AbortSignal.timeout(20_000) });
    expect((await members()).status).toBe(200);

    // Pooled connections stay open and new ones are taken, but not a byte comes back.
    proxy.freeze();
    const started = performance.now();
    const hung = await members();
    const waited = performance.now() - started;
    expect(hung.status).toBe(503);
    expect(((await json(hung)).error as { message: string }).message).toBe('The database is not answering; try again shortly');
    expect(waited).toBeLessThan(4000);
    console.log(`[statement timeout] a database that never answers: 503 after ${Math.round(waited)} ms (MREG_DATABASE_STATEMENT_TIMEOUT=1)`);

    proxy.restore();
    await vi.waitFor(async () => expect((await members()).status).toBe(200), { timeout: 10_000, interval: 250 });
  });

  it('ends a statement that runs past MREG_DATABASE_STATEMENT_TIMEOUT on the server', async () => {
    const a = await app({ env: { MREG_DATABASE_STATEMENT_TIMEOUT: '1' } });
    const started = performance.now();
    await expect(a.db.orm.em.fork().execute('select pg_sleep(5)')).rejects.toThrow(/statement timeout/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('says 503 naming the cache when Redis does not answer', async () => {
    const port = await freePort();
    const a = await app({ redisUrl: `redis://127.0.0.1:${port}` });
    const res = await fetch(`${a.url}/readyz`);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.checks.database).toBe('ok');
    expect(body.checks.cache).toBe('unavailable');
  });
});
