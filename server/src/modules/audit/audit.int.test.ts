import { describe, expect, it } from 'vitest';
import type { AuditPage, ServerSaved, Usage } from '@mreg/shared';
import { createLogger } from '../../logger';
import { bearer, mintApiKey } from '../../testing/api-keys';
import type { CookieClient } from '../../testing/cookie-client';
import { createDatabaseTarget, openTestDatabase } from '../../testing/harness';
import { trpcMutation, trpcQuery } from '../../testing/sign-in';
import { cleanupSessions } from '../sessions/sessions.cleanup';
import { app, CONTOSO, data, em, FABRIKAM, ids, sessionIn, setMembership, useTenantsApp, YAN, ZOE } from '../tenants/tenants.testing';
import { auditBuffer } from './audit.buffer';
import { auditMany, auditRow } from './audit.writer';

/**
 * The audit log through the real app: member changes recorded once each in their transaction,
 * audit.list's filters and cursor, tenant isolation by every way in, the CSV export, append-only
 * storage with retention, the tool-call buffer, and usage.
 */

useTenantsApp();

type Row = Record<string, unknown> & { id: string; action: string; tenant_id: string | null };
const HEADERS = { 'user-agent': 'audit test', 'x-request-id': 'audit-request-1' };
const lastId = async () => Number((await em().execute<{ max: string | null }[]>(`select max(id) as max from audit_events`))[0]!.max ?? 0);
const eventsAfter = (id: number) => em().execute<Row[]>(`select * from audit_events where id > ? order by id`, [id]);
const as = (client: CookieClient) => ({
  mutate: (path: string, input?: unknown) => trpcMutation(client, app.url, path, input, HEADERS),
  query: (path: string, input?: unknown) => trpcQuery(client, app.url, path, input),
});
const exportCsv = (query: string, headers: Record<string, string>, client?: CookieClient) =>
  client ? client.request(`${app.url}/audit/export.csv${query}`) : fetch(`${app.url}/audit/export.csv${query}`, { headers }).then(async (res) => ({ status: res.status, body: await res.text(), headers: res.headers }));
const DAY_MS = 24 * 3600_000;

describe('the audit log', () => {
  it('records each member change once, with its actor, target, address, user agent and request id; a refused change records nothing', async () => {
    await setMembership(ZOE.email, FABRIKAM.id, 'member');
    const ada = as((await sessionIn('ada@contoso.test', CONTOSO.id)).client);
    const zoe = ids[ZOE.email]!;
    const before = await lastId();
    data(await ada.mutate('tenants.addMember', { email: ZOE.email, role: 'viewer' }));
    data(await ada.mutate('tenants.updateMember', { userId: zoe, role: 'member' }));
    data(await ada.mutate('tenants.updateMember', { userId: zoe, isActive: false }));
    data(await ada.mutate('tenants.updateMember', { userId: zoe, isActive: true }));
    // Nothing changes: nothing to record.
    data(await ada.mutate('tenants.updateMember', { userId: zoe, role: 'member' }));
    data(await ada.mutate('tenants.removeMember', { userId: zoe }));
    // Refused (the last admin): no change, no event.
    expect((await ada.mutate('tenants.updateMember', { userId: ids['ada@contoso.test'], role: 'member' })).status).toBe(409);

    const rows = await eventsAfter(before);
    expect(rows.map((row) => row.action)).toEqual(['member.added', 'member.role_changed', 'member.deactivated', 'member.reactivated', 'member.removed']);
    for (const row of rows) {
      expect(row).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        target_kind: 'user',
        target_id: zoe,
        target_label: ZOE.email,
        outcome: 'success',
        ip: expect.stringContaining('127.0.0.1'),
        user_agent: 'audit test',
        request_id: 'audit-request-1',
      });
    }
    expect(rows[1]!.details).toMatchObject({ role: 'member', previousRole: 'viewer' });
    await setMembership(ZOE.email, FABRIKAM.id, 'none');
  });

  it('fails a change whole when its event cannot be written: no change without its event', async () => {
    await setMembership(ZOE.email, FABRIKAM.id, 'member');
    const ada = as((await sessionIn('ada@contoso.test', CONTOSO.id)).client);
    await em().execute(`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'the audit log is refusing writes'; end $$`);
    await em().execute(`create trigger refuse_audit before insert on audit_events for each row execute function refuse_audit()`);
    try {
      expect((await ada.mutate('tenants.addMember', { email: ZOE.email, role: 'viewer' })).status).toBe(500);
      expect((await ada.mutate('registry.create', { slug: 'unrecorded', name: 'Unrecorded', url: 'http://127.0.0.1:9/mcp', enabled: false })).status).toBe(500);
      expect((await ada.mutate('apiKeys.create', { name: 'unrecorded' })).status).toBe(500);
    } finally {
      await em().execute(`drop trigger refuse_audit on audit_events`);
      await em().execute(`drop function refuse_audit()`);
    }
    expect(await em().execute(`select 1 from user_tenant_memberships where user_id = ? and tenant_id = ?`, [ids[ZOE.email], CONTOSO.id])).toEqual([]);
    expect(await em().execute(`select 1 from mcp_servers where slug = 'unrecorded'`)).toEqual([]);
    expect(await em().execute(`select 1 from api_keys where name = 'unrecorded'`)).toEqual([]);
    await setMembership(ZOE.email, FABRIKAM.id, 'none');
  });

  it('lists newest first by action, person, time and cursor, with names; bad input is BAD_REQUEST naming the field', async () => {
    const ada = as((await sessionIn('ada@contoso.test', CONTOSO.id)).client);
    const all = data<AuditPage>(await ada.query('audit.list', { limit: 200 }));
    expect(all.events.length).toBeGreaterThanOrEqual(5);
    // Newest first by time, then by id.
    const order = all.events.map((event) => [Date.parse(event.at), Number(event.id)] as const);
    expect(order).toEqual([...order].sort((a, b) => b[0] - a[0] || b[1] - a[1]));

    const removed = data<AuditPage>(await ada.query('audit.list', { action: 'member.removed' }));
    expect(removed.events).toHaveLength(1);
    expect(removed.events[0]).toMatchObject({
      action: 'member.removed',
      tenantId: CONTOSO.id,
      actor: { kind: 'user', userId: ids['ada@contoso.test'], name: 'Ada Lovelace', email: 'ada@contoso.test' },
      target: { kind: 'user', id: ids[ZOE.email], label: ZOE.email },
      outcome: 'success',
      requestId: 'audit-request-1',
    });

    // Page by page, two at a time: every event once, in the same order.
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = data<AuditPage>(await ada.query('audit.list', { limit: 2, cursor }));
      paged.push(...page.events.map((event) => event.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(all.events.map((event) => event.id));

    expect(data<AuditPage>(await ada.query('audit.list', { actorId: ids[ZOE.email] })).events).toEqual([]);
    const future = new Date(Date.now() + DAY_MS).toISOString();
    expect(data<AuditPage>(await ada.query('audit.list', { since: future })).events).toEqual([]);
    expect(data<AuditPage>(await ada.query('audit.list', { until: future })).events).toHaveLength(all.events.length);

    const bad = await ada.query('audit.list', { cursor: 'abc', action: 'member.promoted' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.data.fieldErrors).toMatchObject({ cursor: ['must be a cursor from an earlier page'], action: [expect.stringContaining('must be one of')] });
    const backwards = await ada.query('audit.list', { since: future, until: new Date().toISOString() });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error?.data.fieldErrors).toMatchObject({ until: ['must be after since'] });
  });

  it('names the owner of an ended session, for the sentence', async () => {
    await sessionIn('uma@contoso.test', CONTOSO.id);
    const ada = as((await sessionIn('ada@contoso.test', CONTOSO.id)).client);
    data(await ada.mutate('tenants.revokeMemberSessions', { userId: ids['uma@contoso.test'] }));
    const page = data<AuditPage>(await ada.query('audit.list', { action: 'session.revoked', limit: 1 }));
    expect(page.events[0]).toMatchObject({
      actor: { name: 'Ada Lovelace' },
      target: { kind: 'session', label: 'Uma Umarova' },
      details: { userId: ids['uma@contoso.test'] },
    });
  });

  it("keeps tenants apart: Fabrikam's admin sees none of Contoso's events by list, filter, cursor or export, and a member without audit:read none at all", async () => {
    await setMembership(YAN.email, FABRIKAM.id, 'admin');
    const adaSession = await sessionIn('ada@contoso.test', CONTOSO.id);
    data(await as(adaSession.client).mutate('auth.switchTenant', { tenantId: FABRIKAM.id }));
    const contosoIds = new Set((await em().execute<{ id: string }[]>(`select id::text as id from audit_events where tenant_id = ?`, [CONTOSO.id])).map((row) => row.id));
    expect(contosoIds.size).toBeGreaterThan(0);

    const contosoCursor = data<AuditPage>(await as((await sessionIn('ada@contoso.test', CONTOSO.id)).client).query('audit.list', { limit: 1 })).nextCursor;
    expect(contosoCursor).toMatch(/^\d+\.\d+$/);
    const yanSession = await sessionIn(YAN.email, FABRIKAM.id);
    const yan = as(yanSession.client);
    const seen = [
      ...data<AuditPage>(await yan.query('audit.list', { limit: 200 })).events,
      ...data<AuditPage>(await yan.query('audit.list', { actorId: ids['ada@contoso.test'] })).events,
      ...data<AuditPage>(await yan.query('audit.list', { action: 'member.removed' })).events,
      // A cursor from Contoso's log: it says where to go on from, never whose events.
      ...data<AuditPage>(await yan.query('audit.list', { cursor: contosoCursor })).events,
    ];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((event) => event.tenantId === FABRIKAM.id && !contosoIds.has(event.id))).toBe(true);
    // Ada's switch into Fabrikam is Fabrikam's to see.
    expect(seen.some((event) => event.action === 'tenant.switched' && event.actor.userId === ids['ada@contoso.test'])).toBe(true);
    const csv = await exportCsv('', {}, yanSession.client);
    expect(csv.status).toBe(200);
    const exported = csv.body.trim().split('\n').slice(1).map((line) => line.split(',')[0]!);
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.some((id) => contosoIds.has(id))).toBe(false);

    const uma = await sessionIn('uma@contoso.test', CONTOSO.id);
    const refused = await as(uma.client).query('audit.list', {});
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toBe('This needs the permission audit:read in Contoso, which your role there (member) does not give');
    expect((await exportCsv('', {}, uma.client)).status).toBe(403);
    await setMembership(YAN.email, FABRIKAM.id, 'none');
  });

  it('exports the filtered log as CSV for a session or an API key, with formulas defused; refuses others with a clear error', async () => {
    const adaSession = await sessionIn('ada@contoso.test', CONTOSO.id);
    const ada = as(adaSession.client);
    const formula = '=HYPERLINK("http://evil.test","x")';
    data<ServerSaved>(await ada.mutate('registry.create', { slug: 'formula', name: formula, url: 'http://127.0.0.1:9/mcp', enabled: false }));

    const byCookie = await exportCsv('?action=server.created', {}, adaSession.client);
    expect(byCookie.status).toBe(200);
    expect(byCookie.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(byCookie.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = byCookie.body.trim().split('\n');
    expect(lines[0]).toBe(
      'id,at,tenant_id,actor_kind,actor_user_id,actor_name,actor_email,credential_id,credential_name,action,target_kind,target_id,target_label,outcome,reason,ip,user_agent,request_id,duration_ms,details',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
    expect(lines[1]).not.toMatch(/,"?=HYPERLINK/);

    const key = await mintApiKey(app.url, 'ada@contoso.test', { name: 'exporter' });
    const byKey = await exportCsv('?action=server.created', bearer(key.secret));
    expect(byKey.status).toBe(200);
    expect(byKey.body.trim().split('\n')[1]!.split(',')[0]).toBe(lines[1]!.split(',')[0]);

    const badFilter = await exportCsv('?action=nope&since=yesterday', bearer(key.secret));
    expect(badFilter.status).toBe(400);
    expect(JSON.parse(badFilter.body).error).toMatch(/^action: must be one of .*; since: must be a date and time \(ISO 8601\)$/);
    expect((await exportCsv('', {})).status).toBe(401);
    expect((await exportCsv('', bearer('mreg_pat_' + 'x'.repeat(43)))).status).toBe(401);
    const umaKey = await mintApiKey(app.url, 'uma@contoso.test');
    const refused = await exportCsv('', bearer(umaKey.secret));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'This needs the permission audit:read in Contoso, which your role there (member) does not give',
      reason: 'missing_permission',
    });
  });

  it('is append-only: updates, deletes and truncation are refused; the clean-up deletes what is past retention, and nothing else', async () => {
    await expect(em().execute(`update audit_events set action = 'auth.sign_in'`)).rejects.toThrow(/audit_events is append-only: UPDATE refused/);
    await expect(em().execute(`delete from audit_events`)).rejects.toThrow(/audit_events is append-only: DELETE refused/);
    await expect(em().execute(`truncate audit_events`)).rejects.toThrow(/audit_events is append-only: TRUNCATE refused/);

    const old = new Date(Date.now() - 400 * DAY_MS);
    await auditMany(em(), [auditRow({ action: 'auth.sign_out', tenantId: CONTOSO.id, actor: { kind: 'user', userId: ids['uma@contoso.test']! }, at: old }, undefined)]);
    const eventIds = async (where = 'true', params: unknown[] = []) =>
      (await em().execute<{ id: string }[]>(`select id::text as id from audit_events where ${where} order by id`, params)).map((row) => row.id);
    const stale = await eventIds('at < ?', [new Date(Date.now() - 300 * DAY_MS)]);
    expect(stale).toHaveLength(1);
    const before = await eventIds();
    const result = await cleanupSessions(app.db.orm.em, { now: new Date(), lifetime: app.settings.sessionLifetime, auditRetentionDays: 365 });
    expect(result.auditEvents).toBe(1);
    // Every other event is still there (an earlier request's may have been written meanwhile: an API key's first use).
    const after = new Set(await eventIds());
    expect(before.filter((id) => !after.has(id))).toEqual(stale);
    expect((await em().execute(`select 1 from audit_events where at < ?`, [new Date(Date.now() - 300 * DAY_MS)])).length).toBe(0);
  });

  it('writes tool calls in batches: within a second without being asked, keeps them while the database refuses, then writes them', async () => {
    const counted = { written: 0, failures: 0, dropped: 0, depth: 0 };
    const metrics = {
      auditWritten: (_kind: string, n: number) => void (counted.written += n),
      auditFlushFailed: () => void counted.failures++,
      auditDropped: (n: number) => void (counted.dropped += n),
      auditBufferDepth: (depth: number) => void (counted.depth = depth),
    };
    const call = (tool: string) => ({
      at: new Date(),
      userId: ids['uma@contoso.test']!,
      tenantId: CONTOSO.id,
      credential: { kind: 'apiKey' as const, id: '00000000-0000-4000-8000-000000000001' },
      serverId: null,
      serverSlug: 'batch',
      tool,
      outcome: 'ok' as const,
      durationMs: 3,
    });
    const buffer = auditBuffer({ em: app.db.orm.em, logger: createLogger('silent'), metrics, intervalMs: 200 });
    for (let i = 0; i < 3; i++) buffer.record(call(`timed-${i}`));
    const deadline = Date.now() + 1000;
    let found = 0;
    while (Date.now() < deadline && found < 3) {
      found = (await em().execute(`select 1 from audit_events where details->>'tool' like 'timed-%'`)).length;
      if (found < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(found).toBe(3);
    await buffer.close();

    // A database without the table yet: inserts fail, events wait (up to the limit), then go in.
    const target = await createDatabaseTarget();
    const db = await openTestDatabase(target);
    try {
      const waiting = auditBuffer({ em: db.orm.em, logger: createLogger('silent'), metrics, limit: 5, intervalMs: 60_000 });
      for (let i = 0; i < 7; i++) waiting.record(call(`waiting-${i}`));
      await waiting.flush();
      expect(counted.failures).toBeGreaterThanOrEqual(1);
      expect(counted.dropped).toBe(2);
      expect(waiting.depth).toBe(5);
      await db.migrate();
      const written = counted.written;
      await waiting.close();
      expect(waiting.depth).toBe(0);
      expect(counted.written - written).toBe(5);
      const tools = await db.orm.em.fork().execute<{ tool: string }[]>(`select details->>'tool' as tool from audit_events order by id`);
      expect(tools.map((row) => row.tool)).toEqual(['waiting-2', 'waiting-3', 'waiting-4', 'waiting-5', 'waiting-6']);
    } finally {
      await db.close();
      await target.drop();
    }

    // What a client may put in a tool's name (NUL, a lone surrogate) is stored replaced; an event the
    // database still refuses (here a person id that is none) is dropped alone, and the rest of its batch written.
    const mixed = auditBuffer({ em: app.db.orm.em, logger: createLogger('silent'), metrics, intervalMs: 60_000 });
    const dropped = counted.dropped;
    mixed.record(call('\u0000nul\uD800'));
    mixed.record({ ...call('bad-person'), userId: 'not-a-uuid' });
    mixed.record(call('after-bad'));
    await mixed.close();
    expect(counted.dropped - dropped).toBe(1);
    const stored = await em().execute<{ tool: string }[]>(`select details->>'tool' as tool from audit_events where details->>'tool' in (?, ?, ?) order by id`, [
      '\uFFFDnul\uFFFD',
      'bad-person',
      'after-bad',
    ]);
    expect(stored.map((row) => row.tool)).toEqual(['\uFFFDnul\uFFFD', 'after-bad']);
  });

  it('gives usage by hour and by day, for one server or all, with the top tools and people for audit:read only', async () => {
    const server = '00000000-0000-4000-8000-0000000000aa';
    const now = Date.now();
    const call = (hoursAgo: number, durationMs: number, outcome: 'success' | 'error', serverId: string | null = server, tool = 'echo') =>
      auditRow(
        {
          action: 'tool.called',
          tenantId: CONTOSO.id,
          actor: { kind: 'api_key', userId: ids['uma@contoso.test']!, keyId: '00000000-0000-4000-8000-000000000002' },
          target: serverId ? { kind: 'server', id: serverId, label: 'usage' } : null,
          outcome,
          durationMs,
          details: { tool, server: 'usage' },
          at: new Date(now - hoursAgo * 3600_000),
        },
        undefined,
      );
    await auditMany(em(), [
      ...Array.from({ length: 10 }, (_, i) => call(0, (i + 1) * 10, 'success')),
      call(2, 500, 'error', server, 'slow'),
      call(3 * 24, 40, 'success'),
      call(30 * 24, 40, 'success'),
      call(1, 5, 'success', null, 'nowhere'),
    ]);
    const ada = as((await sessionIn('ada@contoso.test', CONTOSO.id)).client);
    const one = data<Usage>(await ada.query('audit.usage', { serverId: server }));
    expect(one.day.buckets).toHaveLength(24);
    expect(one.week.buckets).toHaveLength(7);
    expect(one.day.total).toMatchObject({ calls: 11, errors: 1 });
    expect(one.day.buckets.at(-1)).toMatchObject({ calls: 10, errors: 0, p50Ms: 55 });
    // 95.5 by linear interpolation, as PostgreSQL's floating point has it, rounded.
    expect(one.day.buckets.at(-1)!.p95Ms).toBeGreaterThanOrEqual(95);
    expect(one.day.buckets.at(-1)!.p95Ms).toBeLessThanOrEqual(96);
    expect(one.week.total.calls).toBe(12);
    expect(one.topTools).toEqual([
      { serverId: server, server: 'usage', tool: 'echo', calls: 11, errors: 0 },
      { serverId: server, server: 'usage', tool: 'slow', calls: 1, errors: 1 },
    ]);
    expect(one.topPeople).toEqual([{ userId: ids['uma@contoso.test'], name: 'Uma Umarova', email: 'uma@contoso.test', calls: 12 }]);
    const all = data<Usage>(await ada.query('audit.usage', {}));
    expect(all.day.total.calls).toBeGreaterThanOrEqual(12);

    const uma = as((await sessionIn('uma@contoso.test', CONTOSO.id)).client);
    const theirs = data<Usage>(await uma.query('audit.usage', { serverId: server }));
    expect(theirs.day.total.calls).toBe(11);
    expect(theirs.topTools).toBeNull();
    expect(theirs.topPeople).toBeNull();
    const fabrikam = as((await sessionIn('vic@fabrikam.test', FABRIKAM.id)).client);
    expect(data<Usage>(await fabrikam.query('audit.usage', { serverId: server })).day.total.calls).toBe(0);
  });
});
