import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKey, ApiKeyCreated, TenantMember } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { manualClock } from '../../lib/clock';
import { hashToken } from '../../lib/tokens';
import { bearer, mintApiKey } from '../../testing/api-keys';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';
import { LAST_USED_WRITE_MS } from '../../lib/last-used';

/**
 * API keys through the real app over HTTP: made once, stored hashed, accepted as a bearer on /trpc
 * without cookie or CSRF header, with their owner's standing re-checked on every request, and
 * refused at once when revoked, expired, or their owner demoted or removed, on every instance.
 */

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
const clock = manualClock();
let app: TestApp;
let second: TestApp;
beforeAll(async () => {
  app = await startTestApp({ clock });
  second = await startTestApp({ sameStoresAs: app, clock });
});
afterAll(async () => {
  await second?.close();
  await app?.close();
});

/** A tRPC call with a bearer key only: no cookie, no Origin, no CSRF header, as a script sends it. */
async function withKey(baseUrl: string, secret: string, path: string, input?: unknown, method: 'GET' | 'POST' = 'GET'): Promise<TrpcAnswer> {
  const query = method === 'GET' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : '';
  const response = await fetch(`${baseUrl}/trpc/${path}${query}`, {
    method,
    headers: { ...bearer(secret), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    body: method === 'POST' && input !== undefined ? JSON.stringify(input) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as TrpcAnswer['body'], hop: { status: response.status, headers: {}, body: text } as never };
}

function data<T>(answer: TrpcAnswer): T {
  if (!answer.body.result) throw new Error(`expected a result, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result.data as T;
}

describe(`API keys (${databaseMode})`, () => {
  it('shows the secret once: 256 bits after mreg_pat_, only its SHA-256 stored, listed by hint', async () => {
    const { client } = await signInAs(app.url, 'ada@contoso.test');
    const made = data<ApiKeyCreated>(await trpcMutation(client, app.url, 'apiKeys.create', { name: '  CI deploys  ', expiresInDays: 30 }));
    expect(made.secret).toMatch(/^mreg_pat_[A-Za-z0-9_-]{43}$/);
    expect(made.apiKey).toMatchObject({ name: 'CI deploys', tenantId: CONTOSO.id, lastUsedAt: null, expired: false, hint: made.secret.slice(0, 13) });
    expect(new Date(made.apiKey.expiresAt!).getTime() - new Date(made.apiKey.createdAt).getTime()).toBe(30 * 86_400_000);

    const rows = await app.db.orm.em.fork().execute<{ token_hash: string; hint: string }[]>(`select token_hash, hint from api_keys where id = ?`, [made.apiKey.id]);
    expect(rows).toEqual([{ token_hash: hashToken(made.secret), hint: made.secret.slice(0, 13) }]);
    const listed = data<ApiKey[]>(await trpcQuery(client, app.url, 'apiKeys.list'));
    expect(listed.map((key) => key.id)).toContain(made.apiKey.id);
    expect(JSON.stringify(listed)).not.toContain(made.secret.slice(13));
  });

  it('refuses bad input, naming the field', async () => {
    const { client } = await signInAs(app.url, 'ada@contoso.test');
    const empty = await trpcMutation(client, app.url, 'apiKeys.create', { name: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error?.data.fieldErrors).toEqual({ name: ['must not be empty'] });
    const zero = await trpcMutation(client, app.url, 'apiKeys.create', { name: 'x', expiresInDays: 0 });
    expect(zero.body.error?.data.fieldErrors).toEqual({ expiresInDays: ['must be at least 1 day'] });
    const long = await trpcMutation(client, app.url, 'apiKeys.create', { name: 'x', expiresInDays: 366 });
    expect(long.body.error?.data.fieldErrors).toEqual({ expiresInDays: ['must be at most 365 days'] });
    const count = await app.db.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from api_keys where name = 'x'`);
    expect(Number(count[0]!.n)).toBe(0);
  });

  it('acts as a bearer on /trpc for its owner in its tenant: no cookie, no CSRF header, tenant procedures only', async () => {
    const { secret } = await mintApiKey(app.url, 'vic@fabrikam.test');
    const list = await withKey(app.url, secret, 'registry.list');
    expect(list.status).toBe(200);
    // A mutation without Origin or x-mreg-csrf: judged on its input, not refused as cross-site.
    const create = await withKey(app.url, secret, 'registry.create', { slug: 'BAD SLUG' }, 'POST');
    expect(create.status).toBe(403);
    expect(create.body.error?.message).toContain('registry:write');
    expect((await withKey(app.url, secret, 'apiKeys.list')).status).toBe(200);
    // The browser's own procedures, and making keys, need the browser session.
    const user = await withKey(app.url, secret, 'auth.user');
    expect(user.status).toBe(403);
    expect(user.body.error?.message).toContain('browser session');
    expect((await withKey(app.url, secret, 'apiKeys.create', { name: 'successor' }, 'POST')).status).toBe(403);
    // Fabrikam's key is Fabrikam's: members of Contoso are out of its reach.
    const members = await withKey(app.url, secret, 'tenants.members');
    expect(members.status).toBe(403);
  });

  it('refuses unknown, malformed and revoked keys at once, on every instance', async () => {
    expect((await withKey(app.url, `mreg_pat_${'A'.repeat(43)}`, 'registry.list')).status).toBe(401);
    const malformed = await fetch(`${app.url}/trpc/registry.list`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    const { client } = await signInAs(app.url, 'uma@contoso.test');
    const made = data<ApiKeyCreated>(await trpcMutation(client, app.url, 'apiKeys.create', { name: 'to revoke' }));
    // Both instances have it cached.
    expect((await withKey(app.url, made.secret, 'registry.list')).status).toBe(200);
    expect((await withKey(second.url, made.secret, 'registry.list')).status).toBe(200);
    expect(data(await trpcMutation(client, app.url, 'apiKeys.revoke', { id: made.apiKey.id }))).toEqual({ revoked: true });
    const refused = await withKey(second.url, made.secret, 'registry.list');
    expect(refused.status).toBe(401);
    expect(refused.body.error?.message).toContain('unknown or has been revoked');
    expect((await withKey(app.url, made.secret, 'registry.list')).status).toBe(401);
    expect(data<ApiKey[]>(await trpcQuery(client, app.url, 'apiKeys.list')).map((key) => key.id)).not.toContain(made.apiKey.id);
    // Another's key, or a revoked one, is not found to revoke.
    expect((await trpcMutation(client, app.url, 'apiKeys.revoke', { id: made.apiKey.id })).status).toBe(404);
  });

  it("follows its owner's standing: demoted, fewer rights at the next request; removed, refused", async () => {
    const { client: ada } = await signInAs(app.url, 'ada@contoso.test');
    const members = data<TenantMember[]>(await trpcQuery(ada, app.url, 'tenants.members'));
    const uma = members.find((member) => member.email === 'uma@contoso.test')!;
    const { secret } = await mintApiKey(app.url, 'uma@contoso.test');
    const write = () => withKey(second.url, secret, 'registry.create', { slug: 'nope' }, 'POST');
    // A member may write (the input is then judged); as a viewer, not at all.
    expect((await write()).status).toBe(400);
    expect((await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: uma.userId, role: 'viewer' })).status).toBe(200);
    const demoted = await write();
    expect(demoted.status).toBe(403);
    expect(demoted.body.error?.message).toContain('registry:write');
    expect((await withKey(second.url, secret, 'registry.list')).status).toBe(200);
    // Deactivated: the key is revoked with the membership, and stays so when she is back.
    expect((await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: uma.userId, isActive: false })).status).toBe(200);
    const removed = await withKey(second.url, secret, 'registry.list');
    expect(removed.status).toBe(401);
    expect(removed.body.error?.message).toContain('unknown or has been revoked');
    expect((await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: uma.userId, isActive: true, role: 'member' })).status).toBe(200);
    expect((await withKey(second.url, secret, 'registry.list')).status).toBe(401);
    const fresh = await mintApiKey(app.url, 'uma@contoso.test');
    expect((await withKey(second.url, fresh.secret, 'registry.create', { slug: 'nope' }, 'POST')).status).toBe(400);
  });

  it("a removed member's keys are revoked with the membership: being added again brings none back", async () => {
    // vic (of Fabrikam, where ada is a member too) joins Contoso, makes a key there, and is removed.
    const { client: ada } = await signInAs(app.url, 'ada@contoso.test');
    const added = await trpcMutation(ada, app.url, 'tenants.addMember', { email: 'vic@fabrikam.test', role: 'member' });
    expect(added.status).toBe(200);
    const vicId = (added.body.result!.data as TenantMember).userId;
    const key = await mintApiKey(app.url, 'vic@fabrikam.test', { tenantId: CONTOSO.id });
    expect((await withKey(second.url, key.secret, 'registry.list')).status).toBe(200);
    expect((await trpcMutation(ada, app.url, 'tenants.removeMember', { userId: vicId })).status).toBe(200);
    expect((await withKey(second.url, key.secret, 'registry.list')).status).toBe(401);
    expect((await trpcMutation(ada, app.url, 'tenants.addMember', { email: 'vic@fabrikam.test', role: 'member' })).status).toBe(200);
    const again = await withKey(second.url, key.secret, 'registry.list');
    expect(again.status).toBe(401);
    expect(again.body.error?.message).toContain('unknown or has been revoked');
    expect((await trpcMutation(ada, app.url, 'tenants.removeMember', { userId: vicId })).status).toBe(200);
  });

  it("does not let an admin's key manage members (the browser session only)", async () => {
    const { secret } = await mintApiKey(app.url, 'ada@contoso.test');
    const members = await withKey(app.url, secret, 'tenants.members');
    expect(members.status).toBe(403);
    expect(members.body.error?.message).toContain('browser session');
    expect((await withKey(app.url, secret, 'tenants.addMember', { email: 'vic@fabrikam.test', role: 'admin' }, 'POST')).status).toBe(403);
  });

  it('keeps the last use, written at most once a minute', async () => {
    const made = await mintApiKey(app.url, 'ada@contoso.test', { tenantId: FABRIKAM.id });
    const lastUsed = async () => {
      const [row] = await app.db.orm.em.fork().execute<{ last_used_at: Date | null }[]>(`select last_used_at from api_keys where id = ?`, [made.apiKey.id]);
      return row!.last_used_at ? new Date(row!.last_used_at).getTime() : null;
    };
    expect(await lastUsed()).toBeNull();
    expect((await withKey(app.url, made.secret, 'registry.list')).status).toBe(200);
    await expect.poll(lastUsed).toBe(clock().getTime());
    const first = await lastUsed();
    clock.advance(LAST_USED_WRITE_MS / 2);
    await withKey(app.url, made.secret, 'registry.list');
    await withKey(second.url, made.secret, 'registry.list');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastUsed()).toBe(first);
    clock.advance(LAST_USED_WRITE_MS);
    await withKey(second.url, made.secret, 'registry.list');
    await expect.poll(lastUsed).toBe(clock().getTime());
  });

  it('expires when its time is up', async () => {
    const made = await mintApiKey(app.url, 'ada@contoso.test', { expiresInDays: 1 });
    expect((await withKey(app.url, made.secret, 'registry.list')).status).toBe(200);
    clock.advance(86_400_000 + 1000);
    const expired = await withKey(app.url, made.secret, 'registry.list');
    expect(expired.status).toBe(401);
    expect(expired.body.error?.message).toContain('expired');
  });
});
