import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server, ServerDetail, ServerSaved, TestServerResult } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import type { CookieClient } from '../../testing/cookie-client';
import { manualClock } from '../../lib/clock';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { startEverythingServer, startMcpUpstream, startToyServer, type TestUpstream, type ToyUpstream } from '../../testing/mcp-upstreams';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';

/**
 * The registry through the real app over HTTP, against real MCP servers on 127.0.0.1: the
 * procedures, discovery at save, write-only secrets, tenant isolation, health and list_changed.
 */

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
const TOKEN = 'upstream-bearer-token-7f3c9a1e5d';
const METRICS_TOKEN = 'metrics-token-for-the-registry-test-0123456789';

let app: TestApp;
let everything: TestUpstream;
let toy: ToyUpstream;
let guarded: ToyUpstream;
beforeAll(async () => {
  [everything, toy, guarded] = await Promise.all([startEverythingServer(), startToyServer(), startToyServer({ token: TOKEN })]);
  app = await startTestApp({ env: { MREG_REGISTRY_UNHEALTHY_AFTER: '2' } });
});
afterAll(async () => {
  await app?.close();
  await Promise.all([everything?.close(), toy?.close(), guarded?.close()]);
});

function data<T>(answer: TrpcAnswer): T {
  if (!answer.body.result) throw new Error(`expected a result, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result.data as T;
}
const query = (client: CookieClient, path: string, input?: unknown) => trpcQuery(client, app.url, path, input);
const mutate = (client: CookieClient, path: string, input?: unknown) => trpcMutation(client, app.url, path, input);

/** Signs in and switches to `tenantId` (ada and uma start in Contoso, vic in Fabrikam). */
async function as(email: string, tenantId?: string): Promise<CookieClient> {
  const { client } = await signInAs(app.url, email);
  if (tenantId) expect((await mutate(client, 'auth.switchTenant', { tenantId })).status).toBe(200);
  return client;
}

/** The upstream's lists as the MCP SDK's client sees them, following every page. */
async function listDirectly(url: string) {
  const client = new Client({ name: 'registry-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    const all = async <T>(list: (cursor?: string) => Promise<{ nextCursor?: string } & T>, items: (page: T) => unknown[]) => {
      const found: unknown[] = [];
      let cursor: string | undefined;
      do {
        const page = await list(cursor);
        found.push(...items(page));
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    const tools = (await all((cursor) => client.listTools({ cursor }), (page) => page.tools)) as { name: string }[];
    const resources = (await all((cursor) => client.listResources({ cursor }), (page) => page.resources)) as { uri: string }[];
    const templates = await all((cursor) => client.listResourceTemplates({ cursor }), (page) => page.resourceTemplates);
    const prompts = (await all((cursor) => client.listPrompts({ cursor }), (page) => page.prompts)) as { name: string }[];
    return {
      tools: tools.map((t) => t.name).sort(),
      resources: resources.map((r) => r.uri).sort(),
      resourceTemplates: templates.length,
      prompts: prompts.map((p) => p.name).sort(),
    };
  } finally {
    await client.close();
  }
}

let slugs = 0;
const slug = (prefix: string) => `${prefix}-${++slugs}`;

async function rawServerRow(id: string) {
  const [row] = await app.db.orm.em.fork().execute(`select * from mcp_servers where id = ?`, [id]);
  return row as Record<string, unknown>;
}

describe(`the registry (${databaseMode})`, () => {
  it('registers the everything server, discovering every page of its lists, and answers it from the database', async () => {
    const ada = await as('ada@contoso.test');
    const saved = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('everything'), name: 'Everything', url: everything.url }));
    expect(saved.discovery).toMatchObject({ ok: true });
    expect(saved.server).toMatchObject({ name: 'Everything', enabled: true, status: 'healthy', auth: { kind: 'none' }, lastError: null });
    expect(saved.server.toolCount).toBeGreaterThan(5);

    const detail = data<ServerDetail>(await query(ada, 'registry.get', { id: saved.server.id }));
    expect(detail.catalogue?.serverInfo.name).toBe('mcp-servers/everything');
    expect(detail.catalogue?.tools.map((t) => t.name)).toContain('echo');
    // What the SDK's own client lists, every page followed, is what was stored.
    const direct = await listDirectly(everything.url);
    expect(detail.catalogue!.tools.map((t) => t.name).sort()).toEqual(direct.tools);
    expect(detail.catalogue!.resources.map((r) => r.uri).sort()).toEqual(direct.resources);
    expect(detail.catalogue!.resourceTemplates.length).toBe(direct.resourceTemplates);
    expect(detail.catalogue!.prompts.map((p) => p.name).sort()).toEqual(direct.prompts);
    expect(direct.resources.length).toBeGreaterThan(0);

    // Reading never waits on the upstream: with it stopped, list and get answer as before.
    const list = data<Server[]>(await query(ada, 'registry.list'));
    expect(list.find((s) => s.id === saved.server.id)).toMatchObject({ toolCount: saved.server.toolCount });
  });

  it('keeps an upstream secret write-only: encrypted in the row, never answered, and sent to the upstream alone', async () => {
    const ada = await as('ada@contoso.test');
    const saved = data<ServerSaved>(
      await mutate(ada, 'registry.create', { slug: slug('guarded'), name: 'Guarded', url: guarded.url, auth: { kind: 'bearer', token: TOKEN } }),
    );
    expect(saved.discovery).toMatchObject({ ok: true, toolCount: 1 });
    expect(saved.server.auth).toEqual({ kind: 'bearer' });
    expect(guarded.requests.some((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);

    const row = await rawServerRow(saved.server.id);
    expect(Buffer.isBuffer(row.auth_secret)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    expect((row.auth_secret as Buffer).includes(Buffer.from(TOKEN))).toBe(false);
    for (const path of ['registry.list', 'registry.get']) {
      const answer = await query(ada, path, path === 'registry.get' ? { id: saved.server.id } : undefined);
      expect(JSON.stringify(answer.body)).not.toContain(TOKEN);
    }
    expect(app.logs.join('\n')).not.toContain(TOKEN);

    // A wrong credential: the server is saved, and the answer says why it could not be reached.
    const wrong = data<ServerSaved>(
      await mutate(ada, 'registry.update', { id: saved.server.id, auth: { kind: 'header', name: 'X-Api-Key', value: 'not-the-token' } }),
    );
    expect(wrong.discovery.ok).toBe(false);
    expect(wrong.server.auth).toEqual({ kind: 'header', name: 'X-Api-Key' });
    expect(JSON.stringify(wrong)).not.toContain('not-the-token');
  });

  it('sends a stored credential only to the origin it was given for: a URL moved elsewhere needs it again', async () => {
    const ada = await as('ada@contoso.test');
    const saved = data<ServerSaved>(
      await mutate(ada, 'registry.create', { slug: slug('home'), name: 'Home', url: guarded.url, auth: { kind: 'bearer', token: TOKEN } }),
    );
    const elsewhere = await startToyServer();
    try {
      const message = `auth: ${new URL(elsewhere.url).origin} is another origin than ${new URL(guarded.url).origin}; enter the credential again, since the stored one goes only to the server it was given for`;
      for (const [path, input] of [
        ['registry.update', { id: saved.server.id, url: elsewhere.url }],
        ['registry.test', { id: saved.server.id, url: elsewhere.url }],
      ] as const) {
        const refused = await mutate(ada, path, input);
        expect(refused.status, path).toBe(400);
        expect(refused.body.error?.message).toBe(message);
      }
      expect(elsewhere.requests).toEqual([]);
      expect(data<ServerDetail>(await query(ada, 'registry.get', { id: saved.server.id })).server.url).toBe(guarded.url);
      // Same origin, another path: the credential goes along.
      expect(data<TestServerResult>(await mutate(ada, 'registry.test', { id: saved.server.id, url: `${guarded.url}?again=1` }))).toMatchObject({ ok: true });
    } finally {
      await elsewhere.close();
    }
  });

  it('stores a URL as the parser writes it, saves a disabled server without contacting it, and keeps a catalogue it cannot store from becoming a 500', async () => {
    const ada = await as('ada@contoso.test');
    const shouted = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('case'), name: 'Case', url: toy.url.replace('http://', 'HTTP://') }));
    expect(shouted.server.url).toBe(toy.url);
    expect(shouted.discovery).toMatchObject({ ok: true });

    const before = toy.requests.length;
    const off = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('off'), name: 'Off', url: toy.url, enabled: false }));
    expect(off.server.status).toBe('disabled');
    expect(off.discovery).toEqual({ ok: false, error: 'The server is disabled: MREG did not contact it' });
    expect(toy.requests.length).toBe(before);

    const nul = await startMcpUpstream(() => {
      const server = new McpServer({ name: 'nul', version: '1.0.0' });
      server.registerTool('odd', { description: 'holds a \u0000 NUL' }, () => ({ content: [] }));
      return { server };
    });
    try {
      const saved = await mutate(ada, 'registry.create', { slug: slug('nul'), name: 'NUL', url: nul.url });
      expect(saved.status).toBe(200);
      expect(data<ServerSaved>(saved).discovery).toEqual({
        ok: false,
        error: "The server's lists hold text that cannot be stored (a NUL character or a broken UTF-16 surrogate); MREG keeps its last catalogue",
      });
    } finally {
      await nul.close();
    }
  });

  it('never shows a credential an upstream echoes into its own lists', async () => {
    const ada = await as('ada@contoso.test');
    const echoing = await startMcpUpstream(() => {
      const server = new McpServer({ name: `echoes ${TOKEN}`, version: '1.0.0' });
      server.registerTool('leaky', { description: `my token is ${TOKEN.toUpperCase()}` }, () => ({ content: [] }));
      return { server };
    });
    try {
      const saved = data<ServerSaved>(
        await mutate(ada, 'registry.create', { slug: slug('echo'), name: 'Echoes', url: echoing.url, auth: { kind: 'bearer', token: TOKEN } }),
      );
      expect(saved.discovery).toMatchObject({ ok: true, toolCount: 1 });
      const detail = await query(ada, 'registry.get', { id: saved.server.id });
      expect(JSON.stringify(detail.body).toLowerCase()).not.toContain(TOKEN.toLowerCase());
      expect(data<ServerDetail>(detail).catalogue?.tools[0]?.description).toBe('my token is [redacted]');
    } finally {
      await echoing.close();
    }
  });

  it('tests a connection before saving, with nothing stored', async () => {
    const ada = await as('ada@contoso.test');
    const before = data<Server[]>(await query(ada, 'registry.list')).length;
    const tested = data<TestServerResult>(await mutate(ada, 'registry.test', { url: everything.url }));
    expect(tested).toMatchObject({ ok: true, serverInfo: { name: 'mcp-servers/everything' } });
    const refused = data<TestServerResult>(await mutate(ada, 'registry.test', { url: guarded.url }));
    expect(refused).toMatchObject({ ok: false });
    expect(data<Server[]>(await query(ada, 'registry.list'))).toHaveLength(before);
  });

  it('names the field of bad input, and stores nothing', async () => {
    const ada = await as('ada@contoso.test');
    const before = data<Server[]>(await query(ada, 'registry.list')).length;
    const cases: [unknown, RegExp][] = [
      [{ slug: 'Bad Slug', name: 'x', url: everything.url }, /^slug: must be 1 to 16 characters/],
      [{ slug: 'a'.repeat(17), name: 'x', url: everything.url }, /^slug: /],
      [{ slug: 'ok', name: 'x', url: 'ftp://127.0.0.1/mcp' }, /^url: must start with http:\/\/ or https:\/\//],
      [{ slug: 'ok', name: 'x', url: 'http://user:pass@127.0.0.1/mcp' }, /^url: must not hold a user name or password/],
      [{ slug: 'ok', name: 'x'.repeat(101), url: everything.url }, /^name: is longer than 100 characters/],
      [{ slug: 'ok', name: 'x', url: everything.url, auth: { kind: 'bearer', token: 'x'.repeat(5000) } }, /^auth\.token: is longer than 4096/],
      [{ slug: 'ok', name: 'x', url: 'http://169.254.169.254/latest/meta-data' }, /^url: .*169\.254\.169\.254/],
    ];
    for (const [input, message] of cases) {
      const answer = await mutate(ada, 'registry.create', input);
      expect(answer.status, JSON.stringify(input)).toBe(400);
      expect(answer.body.error?.message).toMatch(message);
    }
    expect(data<Server[]>(await query(ada, 'registry.list'))).toHaveLength(before);

    const taken = slug('taken');
    expect((await mutate(ada, 'registry.create', { slug: taken, name: 'First', url: toy.url })).status).toBe(200);
    const again = await mutate(ada, 'registry.create', { slug: taken, name: 'Second', url: toy.url });
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toBe(`slug: ${taken} is already taken by another server in Contoso; choose another`);
  });

  it('keeps each tenant to its own servers: another tenant\'s server is NOT_FOUND for every procedure', async () => {
    const adaInContoso = await as('ada@contoso.test');
    const contosoServer = data<ServerSaved>(await mutate(adaInContoso, 'registry.create', { slug: slug('iso'), name: 'Contoso only', url: toy.url })).server;
    const vic = await as('vic@fabrikam.test');
    const adaInFabrikam = await as('ada@contoso.test', FABRIKAM!.id);

    const matrix: string[] = [];
    for (const [who, client] of [['vic (viewer of Fabrikam)', vic], ['ada (member of Fabrikam, active there)', adaInFabrikam]] as const) {
      expect(data<Server[]>(await query(client, 'registry.list')).map((s) => s.id)).not.toContain(contosoServer.id);
      for (const [path, kind, input] of [
        ['registry.get', 'query', { id: contosoServer.id }],
        ['registry.update', 'mutation', { id: contosoServer.id, name: 'Taken over' }],
        ['registry.refresh', 'mutation', { id: contosoServer.id }],
        ['registry.remove', 'mutation', { id: contosoServer.id }],
        ['registry.test', 'mutation', { id: contosoServer.id, url: toy.url }],
      ] as const) {
        const answer = kind === 'query' ? await query(client, path, input) : await mutate(client, path, input);
        matrix.push(`${who} ${path}: ${answer.status} ${answer.body.error?.data?.code ?? 'OK'}`);
      }
    }
    expect(matrix).toEqual([
      'vic (viewer of Fabrikam) registry.get: 404 NOT_FOUND',
      'vic (viewer of Fabrikam) registry.update: 403 FORBIDDEN',
      'vic (viewer of Fabrikam) registry.refresh: 403 FORBIDDEN',
      'vic (viewer of Fabrikam) registry.remove: 403 FORBIDDEN',
      'vic (viewer of Fabrikam) registry.test: 403 FORBIDDEN',
      'ada (member of Fabrikam, active there) registry.get: 404 NOT_FOUND',
      'ada (member of Fabrikam, active there) registry.update: 404 NOT_FOUND',
      'ada (member of Fabrikam, active there) registry.refresh: 404 NOT_FOUND',
      'ada (member of Fabrikam, active there) registry.remove: 404 NOT_FOUND',
      'ada (member of Fabrikam, active there) registry.test: 404 NOT_FOUND',
    ]);
    const after = data<ServerDetail>(await query(adaInContoso, 'registry.get', { id: contosoServer.id }));
    expect(after.server.name).toBe('Contoso only');
    console.info(`isolation matrix (${databaseMode}):\n${matrix.join('\n')}`);
  });

  it('lets a viewer read and refuses every change, naming the permission', async () => {
    const adaInFabrikam = await as('ada@contoso.test', FABRIKAM!.id);
    const server = data<ServerSaved>(await mutate(adaInFabrikam, 'registry.create', { slug: slug('fab'), name: 'Fabrikam tools', url: toy.url })).server;
    const vic = await as('vic@fabrikam.test');
    expect(data<Server[]>(await query(vic, 'registry.list')).map((s) => s.id)).toContain(server.id);
    expect(data<ServerDetail>(await query(vic, 'registry.get', { id: server.id })).catalogue?.tools.map((t) => t.name)).toEqual(['echo']);
    const refused = await mutate(vic, 'registry.create', { slug: slug('vic'), name: 'Mine', url: toy.url });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toBe('This needs the permission registry:write in Fabrikam, which your role there (viewer) does not give');
    // Uma (member of Contoso) may change the registry; ada's server of Contoso is hers to see.
    const uma = await as('uma@contoso.test');
    expect(data<Server[]>(await query(uma, 'registry.list')).every((s) => s.id !== server.id)).toBe(true);
    void CONTOSO;
  });

  it('turns a server that stops answering unhealthy after the configured failures, and healthy again after one success', async () => {
    const upstream = await startToyServer();
    try {
      const ada = await as('ada@contoso.test');
      const server = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('flaky'), name: 'Flaky', url: upstream.url })).server;
      expect(server.status).toBe('healthy');
      const due = () => app.db.orm.em.fork().execute(`update mcp_server_health set next_check_at = now() - interval '1 second' where server_id = ?`, [server.id]);
      const status = async () => data<ServerDetail>(await query(ada, 'registry.get', { id: server.id })).server;
      const failures = async () => data<ServerDetail>(await query(ada, 'registry.get', { id: server.id })).health.consecutiveFailures;
      // Makes the server due and waits for its check, whichever round takes it: this one, or the
      // app's own timer that may have claimed it first.
      const checked = async (expected: () => Promise<unknown>, value: unknown) => {
        await due();
        await expect.poll(async () => (await app.registry.health.runOnce(), await expected()), { timeout: 15_000, interval: 100 }).toEqual(value);
      };

      await upstream.stop();
      await checked(failures, 1);
      expect((await status()).status).toBe('healthy');
      await checked(failures, 2);
      const down = await status();
      expect(down.status).toBe('unhealthy');
      expect(down.lastError).toMatch(/127\.0\.0\.1/);

      await upstream.start();
      await checked(async () => (await status()).status, 'healthy');
      expect(await status()).toMatchObject({ status: 'healthy', lastError: null });

      // The audit log has each turn once, by MREG itself; failures short of unhealthy are no event.
      const events = await app.db.orm.em
        .fork()
        .execute<{ action: string; actor_kind: string; tenant_id: string; target_label: string; outcome: string }[]>(
          `select action, actor_kind, tenant_id, target_label, outcome from audit_events where target_id = ? order by id`,
          [server.id],
        );
      expect(events).toEqual([
        { action: 'server.created', actor_kind: 'user', tenant_id: CONTOSO.id, target_label: 'Flaky', outcome: 'success' },
        { action: 'server.unhealthy', actor_kind: 'system', tenant_id: CONTOSO.id, target_label: 'Flaky', outcome: 'failure' },
        { action: 'server.recovered', actor_kind: 'system', tenant_id: CONTOSO.id, target_label: 'Flaky', outcome: 'success' },
      ]);
    } finally {
      await upstream.close();
    }
  });

  it('discovers a server again when it says its tools changed', async () => {
    const upstream = await startToyServer();
    try {
      const ada = await as('ada@contoso.test');
      const server = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('grows'), name: 'Grows', url: upstream.url })).server;
      const tools = async () => data<ServerDetail>(await query(ada, 'registry.get', { id: server.id })).catalogue?.tools.map((t) => t.name);
      expect(await tools()).toEqual(['echo']);
      // The watchers follow the enabled servers: wait until this one is followed, then change it.
      await expect.poll(() => upstream.requests.filter((r) => r.method === 'GET').length, { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
      upstream.addTool('reverse');
      await expect.poll(tools, { timeout: 15_000, interval: 200 }).toEqual(['echo', 'reverse']);
    } finally {
      await upstream.close();
    }
  }, 30_000);

  it('removes a server with its catalogue and health', async () => {
    const ada = await as('ada@contoso.test');
    const server = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('gone'), name: 'Gone', url: toy.url })).server;
    expect(data<{ id: string }>(await mutate(ada, 'registry.remove', { id: server.id }))).toEqual({ id: server.id });
    expect((await query(ada, 'registry.get', { id: server.id })).status).toBe(404);
    const left = await app.db.orm.em.fork().execute(
      `select (select count(*) from mcp_server_catalogues where server_id = ?)::int + (select count(*) from mcp_server_health where server_id = ?)::int as n`,
      [server.id, server.id],
    );
    expect(left[0]!.n).toBe(0);
  });

  it('records each change once in the audit log, with the fields changed and never a credential; a refused change records nothing', async () => {
    const ada = await as('ada@contoso.test');
    const server = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('audited'), name: 'Audited', url: toy.url, enabled: false })).server;
    data(await mutate(ada, 'registry.update', { id: server.id, name: 'Audited again', description: 'Now described' }));
    // Nothing different: no event.
    data(await mutate(ada, 'registry.update', { id: server.id, name: 'Audited again' }));
    data(await mutate(ada, 'registry.update', { id: server.id, auth: { kind: 'bearer', token: TOKEN } }));
    const taken = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: slug('taken'), name: 'Taken', url: toy.url, enabled: false })).server;
    expect((await mutate(ada, 'registry.update', { id: server.id, slug: taken.slug })).status).toBe(409);
    expect((await mutate(ada, 'registry.create', { slug: taken.slug, name: 'Twice', url: toy.url, enabled: false })).status).toBe(409);
    data(await mutate(ada, 'registry.remove', { id: server.id }));
    expect((await mutate(ada, 'registry.remove', { id: server.id })).status).toBe(404);

    const events = await app.db.orm.em
      .fork()
      .execute<{ action: string; actor_user_id: string; target_label: string; details: Record<string, unknown> }[]>(
        `select action, actor_user_id, target_label, details from audit_events where target_id = ? order by id`,
        [server.id],
      );
    expect(events.map((event) => [event.action, event.target_label, event.details.fields ?? null])).toEqual([
      ['server.created', 'Audited', null],
      ['server.changed', 'Audited again', ['name', 'description']],
      ['server.changed', 'Audited again', ['auth']],
      ['server.removed', 'Audited again', null],
    ]);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(await app.db.orm.em.fork().execute(`select 1 from audit_events where target_label = 'Twice'`)).toEqual([]);
  });
});

describe(`the registry with private addresses refused (as in production; ${databaseMode})`, () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp({ env: { MREG_REGISTRY_ALLOW_PRIVATE: 'false' } });
  });
  afterAll(() => strict?.close());

  it('refuses loopback and metadata addresses in every spelling, with the reason, storing nothing', async () => {
    const { client: ada } = await signInAs(strict.url, 'ada@contoso.test');
    const urls = [
      toy.url,
      toy.url.replace('127.0.0.1', 'localhost'),
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/mcp',
      'http://2852039166/mcp',
      'http://0251.0376.0251.0376/mcp',
      'http://[::1]:9/mcp',
    ];
    const answers: string[] = [];
    for (const url of urls) {
      const answer = await trpcMutation(ada, strict.url, 'registry.create', { slug: 'blocked', name: 'Blocked', url });
      answers.push(`${answer.status} ${answer.body.error?.message}`);
      expect(answer.status, url).toBe(400);
      expect(answer.body.error?.message, url).toMatch(/^url: /);
    }
    console.info(`SSRF refusals:\n${answers.join('\n')}`);
    // localhost resolves to loopback: refused when MREG connects (test) if not already when saved.
    const tested = await trpcMutation(ada, strict.url, 'registry.test', { url: `http://localhost.:${new URL(toy.url).port}/mcp` });
    expect(JSON.stringify(tested.body)).toMatch(/loopback|refused/i);
    expect(data<Server[]>(await trpcQuery(ada, strict.url, 'registry.list'))).toEqual([]);
  });
});

describe(`the health loop across instances (${databaseMode})`, () => {
  it('checks each due server once per interval whichever instances run, and takes over a dead instance\'s claims when their lease ends', async () => {
    const clock = manualClock();
    const first = await startTestApp({ clock, env: { MREG_METRICS_TOKEN: METRICS_TOKEN } });
    const second = await startTestApp({ clock, sameStoresAs: first, env: { MREG_METRICS_TOKEN: METRICS_TOKEN } });
    try {
      const { client: ada } = await signInAs(first.url, 'ada@contoso.test');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(data<ServerSaved>(await trpcMutation(ada, first.url, 'registry.create', { slug: `loop-${i}`, name: `Loop ${i}`, url: toy.url })).server.id);
      }
      const em = first.db.orm.em.fork();
      const due = () => em.execute(`update mcp_server_health set next_check_at = ? where server_id in (?, ?, ?)`, [new Date(clock().getTime() - 1000), ...ids]);

      // Checks of the three servers so far, by both instances' own counts (their timers included).
      const checks = async () => {
        let total = 0;
        for (const instance of [first, second]) {
          const text = await (await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
          for (const id of ids) {
            for (const match of text.matchAll(new RegExp(`^mreg_registry_check_seconds_count\\{server="${id}",kind="(?:ping|discover)"\\} (\\d+)$`, 'gm'))) total += Number(match[1]);
          }
        }
        return total;
      };
      const before = await checks();
      await due();
      await Promise.all([first.registry.health.runOnce(), second.registry.health.runOnce()]);
      // Each once, whichever instance (or timer) took it; rescheduled an interval (60 s ± 10%) ahead.
      await expect.poll(checks, { timeout: 10_000, interval: 100 }).toBe(before + 3);
      expect(await Promise.all([first.registry.health.runOnce(), second.registry.health.runOnce()])).toEqual([0, 0]);
      expect(await checks()).toBe(before + 3);

      // An instance that claimed servers and died: its claims hold for the lease, then another takes them.
      await due();
      await em.execute(`update mcp_server_health set next_check_at = ? where server_id in (?, ?, ?)`, [new Date(clock().getTime() + 120_000), ...ids]);
      expect(await second.registry.health.runOnce()).toBe(0);
      const beforeTakeover = await checks();
      clock.advance(121_000);
      await second.registry.health.runOnce();
      await expect.poll(checks, { timeout: 10_000, interval: 100 }).toBe(beforeTakeover + 3);

      const metrics = await (await fetch(`${first.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      expect(metrics).toMatch(/^mreg_registry_servers\{status="healthy"\} [1-9]/m);
      expect(metrics).toMatch(new RegExp(`^mreg_registry_check_seconds_count\\{server="${ids[0]}",kind="(ping|discover)"\\} [1-9]`, 'm'));
    } finally {
      await second.close();
      await first.close();
    }
  });
});
