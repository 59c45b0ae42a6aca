import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPC_MAX_BODY_BYTES } from '../app';
import { appRouter } from '../trpc/router';
import { databaseMode, startTestApp, type TestApp } from '../testing/harness';
import { signInAs } from '../testing/sign-in';

/**
 * Issue 7, resilience: a few thousand malformed tRPC calls against a live app. Whatever arrives, the
 * answer is a 4xx, in time; the process does not grow without bound; and a normal signed-in call
 * still works afterwards with the same session (so no junk request changed anyone's state).
 */

const EMAIL = 'uma@contoso.test';
const RUNS = 3000;
const IN_FLIGHT = 8;
const REQUEST_TIMEOUT_MS = 5000;
/** The whole run stops sending after this, whatever is left: the file must stay well under a minute. */
const BUDGET_MS = 25_000;

/** Every procedure's path ('auth.user', ...): the record is flat at run time, though typed as nested. */
const PROCEDURES = Object.keys(appRouter._def.procedures);

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What the case is, for the report of a failure. */
  label: string;
}

// Bodies that no JSON parser, body-parser or decoder setting turns into a valid input.
const OVERSIZED = Buffer.from(JSON.stringify({ category: 'ui', preferences: { big: 'x'.repeat(TRPC_MAX_BODY_BYTES) } }));
const DEEP = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
const DEEP_OBJECT = Buffer.from(`${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`);
/** 16 MiB of zeros in 16 KiB: inflated, far past the body limit (body-parser must stop at the limit). */
const GZIP_BOMB = gzipSync(Buffer.alloc(16 * 1024 * 1024, '['));
const NOT_GZIP = Buffer.from('\x1f\x8b\x08\x00garbage, not a gzip stream at all');

/**
 * A full garbage collection, so that memory figures compare what is still referenced rather than
 * what the collector has not got round to. The flag only exposes `gc` to contexts created after it.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const memory = () => {
  collectGarbage();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
};

/**
 * The input of a well-formed call for one of the real procedures: absent, null and {} are valid for
 * those without input (ZNoInput). Everything else sent to a real name must be malformed.
 */
const couldBeValid = (value: unknown) =>
  value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);

/** `text`, or `text` made unparseable when it is JSON that a procedure without input would accept. */
function stillMalformed(text: string): string {
  try {
    return couldBeValid(JSON.parse(text)) ? `${text}}` : text;
  } catch {
    return text;
  }
}

const junkJson = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).filter((value) => !couldBeValid(value));
const brokenJson = fc.oneof(
  // Not empty: `?input=` with nothing is how a client says "no input", which is no malformed call.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  }),
  fc.constantFrom('{', '{"category":', '[1,2', '"unterminated', '{"a":1}}', 'NaN', 'undefined', '\u0000', '\ud800'),
);

const unknownName = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.stringMatching(/^[a-z]{1,10}(\.[a-zA-Z]{1,12}){0,3}$/),
    fc.constantFrom('auth', 'auth.', '.user', 'auth..user', '__proto__', 'constructor', 'auth.__proto__', 'toString', 'a,b', '%2e%2e', '../healthz'),
    fc.integer({ min: 5000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  )
  .filter((name) => !PROCEDURES.includes(name))
  .map(encodeURIComponent);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nonsense',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  ';;;',
);

const transportJunk = fc.oneof(
  brokenJson.map((text) => ({ label: 'broken JSON', body: Buffer.from(text), encoding: undefined })),
  fc.constant({ label: 'oversized', body: OVERSIZED, encoding: undefined }),
  fc.constant({ label: 'deep array', body: DEEP, encoding: undefined }),
  fc.constant({ label: 'deep object', body: DEEP_OBJECT, encoding: undefined }),
  fc.constant({ label: 'gzip garbage', body: NOT_GZIP, encoding: 'gzip' }),
  fc.constant({ label: 'gzip bomb', body: GZIP_BOMB, encoding: 'gzip' }),
  fc.constantFrom('br', 'x-unknown', 'gzip, gzip').map((encoding) => ({ label: `encoding ${encoding}`, body: Buffer.from('{}'), encoding })),
);

/** Calls to names that are no procedure: any method, any body, any headers. */
const toUnknownName = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    name: unknownName,
    batch: fc.boolean(),
    body: fc.oneof(transportJunk, junkJson.map((value) => ({ label: 'JSON', body: Buffer.from(JSON.stringify(value)), encoding: undefined }))),
    contentType,
  })
  .map(({ method, name, batch, body, contentType }): Omit<Case, 'headers'> & { contentType?: string; encoding?: string } => ({
    method,
    path: `/trpc/${batch ? `${name},${name}?batch=1` : name}`,
    body: method === 'GET' ? undefined : body.body,
    contentType,
    encoding: method === 'GET' ? undefined : body.encoding,
    label: `unknown procedure, ${body.label}`,
  }));

/** Calls to real procedures whose input is broken in transport, or valid JSON that fits no schema. */
const toRealName = fc
  .record({
    name: fc.constantFrom(...PROCEDURES),
    asGet: fc.boolean(),
    body: fc.oneof(transportJunk, junkJson.map((value) => ({ label: 'JSON', body: Buffer.from(JSON.stringify(value)), encoding: undefined }))),
    json: fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-16'),
  })
  .map(({ name, asGet, body, json }): Omit<Case, 'headers'> & { contentType?: string; encoding?: string } => {
    if (asGet) {
      // As a query: the input goes in the query string, huge ones included.
      const input = stillMalformed(body.label === 'JSON' || body.label === 'broken JSON' ? body.body.toString() : body.body.subarray(0, 20_000).toString('latin1'));
      return { method: 'GET', path: `/trpc/${name}?input=${encodeURIComponent(input)}`, body: undefined, label: `GET ${name}, ${body.label}` };
    }
    // UTF-16 turns even a valid body into junk; JSON the schema accepts is filtered out above. But
    // it reads an odd last byte as nothing, so a one-byte body arrives empty, which a procedure
    // without input rightly takes (200): such a body goes as plain JSON.
    const type = json?.includes('utf-16') && body.body.length < 2 ? 'application/json' : json;
    return { method: 'POST', path: `/trpc/${name}`, body: body.body, contentType: type, encoding: body.encoding, label: `POST ${name}, ${body.label}` };
  });

/** Huge query strings: past Node's header limit (431) and just under it. */
const hugeQuery = fc
  .record({ name: fc.constantFrom(...PROCEDURES), size: fc.constantFrom(8_000, 15_000, 64_000), params: fc.boolean() })
  .map(({ name, size, params }): Omit<Case, 'headers'> => ({
    method: 'GET',
    // Always with a broken input: without one, a query that takes none would rightly answer 200.
    path: `/trpc/${name}?${params ? `${Array.from({ length: size / 8 }, (_, i) => `p${i}=1`).join('&')}&input=%7B` : `input=${'%7B'.repeat(size / 3)}`}`,
    body: undefined,
    label: `GET ${name}, ${size}-byte query string`,
  }));

describe(`malformed tRPC calls against a live app (${databaseMode})`, () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    // Thousands of calls through one session (and one address) in seconds: MREG_TRPC_RATE_LIMIT's
    // default (600 a minute) would answer most with 429 before they reach the parsers under test.
    app = await startTestApp({ env: { MREG_TRPC_RATE_LIMIT: '10000000' } });
    ({ token } = await signInAs(app.url, EMAIL));
  });

  afterAll(async () => {
    await app?.close();
  });

  /**
   * The status of the answer, or why there was none. The first answer counts, even if the server then
   * drops the connection. One connection per call: a kept-alive socket the server has just closed
   * (after a 413, say) would fail the next call before the server ever saw it.
   */
  function send(c: Case): Promise<number | string> {
    return new Promise((resolve) => {
      const url = new URL(app.url);
      const req = request(
        { host: url.hostname, port: url.port, method: c.method, path: c.path, headers: c.headers, agent: false, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          res.resume();
          res.on('error', () => {});
          resolve(res.statusCode!);
        },
      );
      req.on('timeout', () => {
        req.destroy();
        resolve(`no answer within ${REQUEST_TIMEOUT_MS} ms`);
      });
      req.on('error', (error) => resolve(`connection error ${error.message}`));
      req.end(c.body);
    });
  }

  it('answers a few thousand of them with 4xx, in time, without running away in memory; a real call still works', { timeout: 45_000 }, async () => {
    expect(PROCEDURES).toContain('auth.updatePreferences');
    const seed = Date.now() ^ (Math.random() * 0x7fffffff);
    const arbitrary = fc
      .record({
        call: fc.oneof({ weight: 4, arbitrary: toUnknownName }, { weight: 5, arbitrary: toRealName }, { weight: 1, arbitrary: hugeQuery }),
        signedIn: fc.boolean(),
        // The app's own pages send these: with them, a mutation passes the CSRF check and reaches tRPC.
        ownPage: fc.boolean(),
      })
      .map(({ call, signedIn, ownPage }): Case => {
        const { contentType, encoding, ...rest } = call as typeof call & { contentType?: string; encoding?: string };
        const headers: Record<string, string> = {};
        if (signedIn) headers.cookie = `mreg_session=${token}`;
        if (ownPage) Object.assign(headers, { origin: app.url, 'x-mreg-csrf': '1' });
        if (contentType) headers['content-type'] = contentType;
        if (encoding) headers['content-encoding'] = encoding;
        return { ...rest, headers, label: `${rest.label}${contentType ? `, ${contentType}` : ''}${encoding ? `, ${encoding}` : ''}${signedIn ? ', signed in' : ''}` };
      });
    const cases = fc.sample(arbitrary, { numRuns: RUNS, seed });

    const statuses = new Map<string, number>();
    const failures: string[] = [];
    const run = async (batch: Case[], deadline: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < batch.length && performance.now() < deadline) {
            const c = batch[next++]!;
            const status = await send(c);
            const key = typeof status === 'number' ? String(status) : 'none';
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
            if (typeof status !== 'number' || status < 400 || status >= 500) {
              failures.push(`${status} for ${c.method} ${c.path.slice(0, 120)} (${c.label}, ${c.body?.length ?? 0} bytes)`);
            }
          }
        }),
      );
      return Math.min(next, batch.length);
    };

    const started = performance.now();
    const deadline = started + BUDGET_MS;
    // Warm up first (JIT, pools, buffers), so the memory figure compares a steady state.
    const warm = await run(cases.slice(0, 300), deadline);
    const before = memory();
    const done = warm + (await run(cases.slice(300), deadline));
    const after = memory();
    const took = performance.now() - started;

    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `[bad-input] ${databaseMode}: ${done} of ${RUNS} malformed calls in ${Math.round(took)} ms (seed ${seed}), ${IN_FLIGHT} in flight; ` +
        `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${failures.length} not 4xx; ` +
        `process hosting the app after warm-up / after (MiB, after a full GC): RSS ${mib(before.rss)} / ${mib(after.rss)}, ` +
        `heap used ${mib(before.heapUsed)} / ${mib(after.heapUsed)}, external ${mib(before.external)} / ${mib(after.external)}`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    // Bounded by the budget, but not so short that it proves nothing.
    expect(done).toBeGreaterThanOrEqual(Math.min(RUNS, 1000));
    // Generous bounds: what is still referenced after a full collection must not grow with the calls
    // (a leak of even 20 KiB a call, or one inflated 16 MiB bomb kept, would pass 50 MiB); RSS also
    // counts freed pages the allocator keeps, so it gets more room.
    expect(after.heapUsed + after.external - before.heapUsed - before.external).toBeLessThan(50 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(200 * 1024 * 1024);

    // The same session, untouched by any of it, still gets its user.
    const response = await fetch(`${app.url}/trpc/auth.user`, { headers: { cookie: `mreg_session=${token}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: { data: { user: { email: string } } } }).result.data.user.email).toBe(EMAIL);
  });
});
