import { OAUTH_SCOPE, ZRole, type OAuthConsent, type OAuthResource } from '@mreg/shared';
import { i18n } from '../../i18n';

/**
 * How the consent page and the connected-apps lists say things about MCP clients and grants, in the
 * app's language at the time of the call.
 */

const t = i18n.getFixedT(null, 'sessions');

type TenantChoice = OAuthConsent['tenants'][number];

/**
 * Shown where a client registered without a name: its name is the client's word, never MREG's. A
 * value its importers render as it is, so it is said again whenever the language changes (ES module
 * bindings are live).
 */
export let NO_CLIENT_NAME = t('oauth.noClientName');
i18n.on('languageChanged', () => {
  NO_CLIENT_NAME = t('oauth.noClientName');
});

/** The client's name for a sentence or a button: its own name, else "an unnamed MCP client". */
export const clientLabel = (client: { name: string | null }) => client.name ?? t('oauth.unnamedClient');

/** "all of Contoso's MCP servers", "the MCP server github": for the middle of a sentence. */
export function resourcePhrase(resource: OAuthResource, tenantName?: string): string {
  if (resource.slug === null) return tenantName ? t('oauth.phraseAll', { tenant: tenantName }) : t('oauth.phraseAllUnknown');
  return t('oauth.phraseOne', { slug: resource.slug });
}

/** "All of Contoso's MCP servers", "The MCP server github": on their own. */
export function resourceWords(resource: OAuthResource, tenantName?: string): string {
  if (resource.slug === null) return tenantName ? t('oauth.wordsAll', { tenant: tenantName }) : t('oauth.wordsAllUnknown');
  return t('oauth.wordsOne', { slug: resource.slug });
}

/** What a scope lets the client do, in words; a scope MREG does not know of is shown as it is. */
export function scopeWords(scope: string): string {
  return scope === OAUTH_SCOPE ? t('oauth.scopeMcp') : scope;
}

/** "an admin", "a viewer", or the server's own word for a role this app does not know. */
export function roleInSentence(role: string): string {
  const known = ZRole.safeParse(role);
  return known.success ? t(`oauth.roleAs.${known.data}`) : role;
}

/** "Admin", or the server's own word for a role this app does not know. */
export function roleLabel(role: string): string {
  const known = ZRole.safeParse(role);
  return known.success ? t(`oauth.role.${known.data}`) : role;
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
  return resource.slug === null ? t('oauth.unavailable') : t('oauth.noServerHere', { slug: resource.slug });
}

/** Why the person can only deny: none of their tenants will do. */
export function noTenantReason(consent: Pick<OAuthConsent, 'tenants' | 'resource'>): string {
  if (consent.tenants.length === 0) return t('oauth.noTenant');
  if (consent.resource.slug !== null) return t('oauth.noTenantWithServer', { slug: consent.resource.slug });
  return t('oauth.noTenantUsable');
}
