import { describe, expect, it } from 'vitest';
import type { DirectoryMember } from '@mreg/shared';
import { CookieClient } from '../../testing/cookie-client';
import { CONTOSO, data, em, FABRIKAM, ids, query, sessionIn, setMembership, useTenantsApp, YAN, ZOE } from './tenants.testing';

/**
 * The member directory (`tenants.directory`) through the real app over HTTP: every member of a
 * tenant sees who else is in it, with names, pictures and roles, and nothing that only its admins
 * may see; never anyone of another tenant.
 */

useTenantsApp();

const directory = async (email: string, tenantId: string) => data<DirectoryMember[]>(await query((await sessionIn(email, tenantId)).client, 'tenants.directory'));

describe('the member directory', () => {
  it('shows a viewer the active members by name and role, admins first, without emails or anything else of an admin view', async () => {
    await setMembership(ZOE.email, CONTOSO.id, 'viewer');
    await setMembership(YAN.email, CONTOSO.id, 'deactivated');
    await em().execute(`insert into user_profiles (user_id, display_name, avatar_url, preferences, metadata) values (?, 'Zoe Zed', '/avatars/zoe/0123', '{}', '{}')`, [
      ids[ZOE.email],
    ]);

    const answer = await query((await sessionIn(ZOE.email, CONTOSO.id)).client, 'tenants.directory');
    expect(data<DirectoryMember[]>(answer)).toEqual([
      { userId: ids['ada@contoso.test'], name: 'Ada Lovelace', avatarUrl: null, role: 'admin' },
      { userId: ids['uma@contoso.test'], name: 'Uma Umarova', avatarUrl: null, role: 'member' },
      // Her profile's name and picture, not the directory's; Yan, deactivated, is not listed.
      { userId: ids[ZOE.email], name: 'Zoe Zed', avatarUrl: '/avatars/zoe/0123', role: 'viewer' },
    ]);
    // Not anywhere in the answer: no address, no permission, no activity.
    expect(JSON.stringify(answer.body)).not.toMatch(/@|permission|lastActive|joinedAt|isActive/);

    // Members see the same; only admins get the members list with emails.
    expect(await directory('uma@contoso.test', CONTOSO.id)).toEqual(data<DirectoryMember[]>(answer));
    expect((await query((await sessionIn(ZOE.email, CONTOSO.id)).client, 'tenants.members')).status).toBe(403);

    // A sign-in name that is an email (a provider with no name claim) is shown as its local part only.
    const [uma] = await em().execute<{ name: string }[]>(`select name from users where id = ?`, [ids['uma@contoso.test']]);
    await em().execute(`update users set name = 'uma.umarova@contoso.test' where id = ?`, [ids['uma@contoso.test']]);
    try {
      const listed = await directory(ZOE.email, CONTOSO.id);
      expect(listed.find((member) => member.userId === ids['uma@contoso.test'])?.name).toBe('uma.umarova');
      expect(JSON.stringify(listed)).not.toContain('@');
    } finally {
      await em().execute(`update users set name = ? where id = ?`, [uma!.name, ids['uma@contoso.test']]);
    }
    await em().execute(`delete from user_profiles where user_id = ?`, [ids[ZOE.email]]);
    await setMembership(ZOE.email, CONTOSO.id, 'none');
    await setMembership(YAN.email, CONTOSO.id, 'none');
  });

  it("keeps tenants apart: Fabrikam's people see no one of Contoso, and the same person sees each tenant's own", async () => {
    const fabrikam = await directory('vic@fabrikam.test', FABRIKAM.id);
    expect(fabrikam.map(({ name, role }) => ({ name, role }))).toEqual([
      { name: 'Ada Lovelace', role: 'member' },
      { name: 'Vic Vance', role: 'viewer' },
    ]);
    expect(fabrikam.map((person) => person.userId)).not.toContain(ids['uma@contoso.test']);
    // Ada, in both, sees whichever is her active tenant, with her role there.
    expect((await directory('ada@contoso.test', FABRIKAM.id)).find((person) => person.name === 'Ada Lovelace')?.role).toBe('member');
    expect((await directory('ada@contoso.test', CONTOSO.id)).map((person) => person.name)).toEqual(['Ada Lovelace', 'Uma Umarova']);
  });

  it('is refused signed out, and to a deactivated member', async () => {
    expect((await query(new CookieClient(), 'tenants.directory')).status).toBe(401);
    await setMembership(ZOE.email, FABRIKAM.id, 'deactivated');
    const refused = await query((await sessionIn(ZOE.email, FABRIKAM.id)).client, 'tenants.directory');
    expect(refused.status).toBe(403);
    await setMembership(ZOE.email, FABRIKAM.id, 'none');
  });
});
