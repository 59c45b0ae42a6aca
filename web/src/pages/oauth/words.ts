import { OAUTH_SCOPE, ZRole, type OAuthConsent, type OAuthResource } from '@mreg/shared';
import { aRole, ROLE_LABEL } from '../../roles';

/** How the consent page and the connected-apps lists say things about MCP clients and grants. */

type TenantChoice = OAuthConsent['tenants'][number];

/** Shown where a client registered without a name: its name is the client's word, never MREG's. */
export const NO_CLIENT_NAME = 'No name given';

/** The client's name for a sentence or a button: its own name, else "an unnamed MCP client". */
export const clientLabel = (client: { name: string | null }) => client.name ?? 'an unnamed MCP client';

/** "all of Contoso's MCP servers", "the MCP server github": for the middle of a sentence. */
export function resourcePhrase(resource: OAuthResource, tenantName?: string): string {
  if (resource.slug === null) return tenantName ? `all of ${tenantName}'s MCP servers` : "all of the tenant's MCP servers";
  return `the MCP server ${resource.slug}`;
}

/** "All of Contoso's MCP servers", "The MCP server github": on their own. */
export function resourceWords(resource: OAuthResource, tenantName?: string): string {
  const phrase = resourcePhrase(resource, tenantName);
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}

/** What a scope lets the client do, in words; a scope MREG does not know of is shown as it is. */
export function scopeWords(scope: string): string {
  return scope === OAUTH_SCOPE ? 'Use MCP servers through MREG: list and call their tools, read their resources and prompts' : scope;
}

/** "an admin", "a viewer", or the server's own word for a role this app does not know. */
export function roleInSentence(role: string): string {
  const known = ZRole.safeParse(role);
  return known.success ? aRole(known.data) : role;
}

/** "Admin", or the server's own word for a role this app does not know. */
export function roleLabel(role: string): string {
  const known = ZRole.safeParse(role);
  return known.success ? ROLE_LABEL[known.data] : role;
}

/**
 * The tenant picked first: the session's active tenant when the client may use it, else the first
 * one it may; null when none may (the person can then only deny).
 */
export function defaultTenant(consent: Pick<OAuthConsent, 'tenants' | 'activeTenantId'>): string | null {
  const usable = consent.tenants.filter((tenant) => tenant.available);
  return (usable.find((tenant) => tenant.tenantId === consent.activeTenantId) ?? usable[0])?.tenantId ?? null;
}

/** Why a tenant cannot be picked, beside it. */
export function unavailableReason(tenant: TenantChoice, resource: OAuthResource): string | null {
  if (tenant.available) return null;
  return resource.slug === null ? 'Not available for this request' : `No MCP server ${resource.slug} here`;
}

/** Why the person can only deny: none of their tenants will do. */
export function noTenantReason(consent: Pick<OAuthConsent, 'tenants' | 'resource'>): string {
  if (consent.tenants.length === 0) return 'You are not an active member of any tenant, so there is nothing this app could use for you.';
  if (consent.resource.slug !== null) {
    return `None of your tenants has an MCP server ${consent.resource.slug}, which is what this app asks for.`;
  }
  return 'None of your tenants can be used for this request.';
}
