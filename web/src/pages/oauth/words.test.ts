import { describe, expect, it } from 'vitest';
import { OAUTH_SCOPE } from '@mreg/shared';
import { i18n } from '../../i18n';
import { clientLabel, defaultTenant, NO_CLIENT_NAME, noTenantReason, resourcePhrase, resourceWords, roleInSentence, roleLabel, scopeWords, unavailableReason } from './words';

const tenant = (tenantId: string, available = true) => ({ tenantId, tenantName: tenantId, role: 'member', available });
const GATEWAY = { url: 'http://127.0.0.1:8000/mcp', slug: null };
const ONE = { url: 'http://127.0.0.1:8000/mcp/github', slug: 'github' };

describe('defaultTenant', () => {
  it('offers the active tenant first when the client may use it', () => {
    expect(defaultTenant({ tenants: [tenant('a'), tenant('b')], activeTenantId: 'b' })).toBe('b');
  });

  it('else the first one it may use', () => {
    expect(defaultTenant({ tenants: [tenant('a', false), tenant('b'), tenant('c')], activeTenantId: 'a' })).toBe('b');
    expect(defaultTenant({ tenants: [tenant('a'), tenant('b')], activeTenantId: null })).toBe('a');
  });

  it('is null when none will do: the person can only deny', () => {
    expect(defaultTenant({ tenants: [tenant('a', false)], activeTenantId: 'a' })).toBeNull();
    expect(defaultTenant({ tenants: [], activeTenantId: null })).toBeNull();
  });
});

describe('resourceWords', () => {
  it('says /mcp is all the chosen tenant’s servers, and /mcp/<slug> one server', () => {
    expect(resourceWords(GATEWAY, 'Contoso')).toBe("All of Contoso's MCP servers");
    expect(resourceWords(GATEWAY)).toBe("All of the tenant's MCP servers");
    expect(resourceWords(ONE, 'Contoso')).toBe('The MCP server github');
    expect(resourcePhrase(GATEWAY, 'Contoso')).toBe("all of Contoso's MCP servers");
  });
});

describe('unavailableReason and noTenantReason', () => {
  it('name the missing server when the client asks for one', () => {
    expect(unavailableReason(tenant('a'), ONE)).toBeNull();
    expect(unavailableReason(tenant('a', false), ONE)).toBe('No MCP server github here');
    expect(noTenantReason({ tenants: [tenant('a', false)], resource: ONE })).toContain('None of your tenants has an MCP server github');
  });

  it('say so when the person has no tenant at all', () => {
    expect(noTenantReason({ tenants: [], resource: GATEWAY })).toContain('not an active member of any tenant');
  });
});

describe('words for the client and its scopes', () => {
  it('never invents a name for a client that gave none', () => {
    expect(clientLabel({ name: null })).toBe('an unnamed MCP client');
    expect(clientLabel({ name: '<b>Claude</b>' })).toBe('<b>Claude</b>');
  });

  it("explains MREG's scope and shows any other as it is", () => {
    expect(scopeWords(OAUTH_SCOPE)).toMatch(/^Use MCP servers/);
    expect(scopeWords('offline_access')).toBe('offline_access');
  });

  it("labels the roles it knows and passes the server's word on for others", () => {
    expect(roleLabel('admin')).toBe('Admin');
    expect(roleLabel('auditor')).toBe('auditor');
    expect(roleInSentence('admin')).toBe('an admin');
    expect(roleInSentence('auditor')).toBe('auditor');
  });
});

describe('in German', () => {
  it('says the resources in the case their place needs, and the name-less client in the language chosen', async () => {
    expect(NO_CLIENT_NAME).toBe('No name given');
    await i18n.changeLanguage('de');
    try {
      expect(resourcePhrase(ONE)).toBe('den MCP-Server github');
      expect(resourceWords(ONE)).toBe('Der MCP-Server github');
      expect(resourceWords(GATEWAY, 'Contoso')).toBe('Alle MCP-Server von Contoso');
      expect(roleInSentence('viewer')).toBe('Betrachter');
      expect(unavailableReason(tenant('a', false), ONE)).toBe('Hier gibt es keinen MCP-Server github');
      expect(NO_CLIENT_NAME).toBe('Kein Name angegeben');
    } finally {
      await i18n.changeLanguage('en');
    }
    expect(NO_CLIENT_NAME).toBe('No name given');
  });
});
