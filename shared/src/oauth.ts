import { z } from 'zod';
import { ZIsoDate } from './auth';
import { orRequired } from './messages';
import { ZTenantId, ZUserId } from './tenants';

/**
 * OAuth for MCP clients (issue 20): MREG is their authorization server. A client registers itself
 * (RFC 7591), sends the person to /authorize, and MREG shows its consent page
 * (`/oauth/consent?request=<id>`), where the person picks the tenant and approves or denies. The
 * approval is a grant: one client acting for one person in one tenant at one MCP resource (/mcp or
 * /mcp/<slug>), listed under "Connected apps" until revoked.
 */

/** Access tokens start so (for secret scanners and for people who find one); only their hash is kept. */
export const OAUTH_ACCESS_TOKEN_PREFIX = 'mreg_at_';
/** Refresh tokens start so. */
export const OAUTH_REFRESH_TOKEN_PREFIX = 'mreg_rt_';
/** An access token's lifetime. */
export const OAUTH_ACCESS_TOKEN_SECONDS = 15 * 60;
/** A refresh token's lifetime from its issue; each use issues the next one. */
export const OAUTH_REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;
/** An authorization code's lifetime. */
export const OAUTH_CODE_SECONDS = 60;
/** How long the person has to answer the consent page. */
export const OAUTH_REQUEST_SECONDS = 10 * 60;
/** The one scope MREG grants: use the MCP resource as the person, with their role's permissions. */
export const OAUTH_SCOPE = 'mcp';
/** A client is "registered just now" on the consent page for this long after registering. */
export const OAUTH_NEW_CLIENT_SECONDS = 24 * 3600;

/** The consent request's id: 32 random bytes in base64url, from the /authorize redirect. */
export const ZOAuthRequestId = z
  .string({ error: orRequired('must be the request id from the consent page address') })
  .regex(/^[A-Za-z0-9_-]{43}$/, { error: 'must be the request id from the consent page address (43 letters, digits, _ or -)' });

export const ZOAuthGrantId = z.uuid({ error: orRequired('must be a connected app id (a UUID)') });

export const ZOAuthConsentInput = z.strictObject({ requestId: ZOAuthRequestId });

/** What the client asks to reach: the whole gateway (/mcp) or one server (/mcp/<slug>). */
export const ZOAuthResource = z.object({
  url: z.string(),
  /** null: /mcp, all the tenant's servers; else the one server's slug. */
  slug: z.string().nullable(),
});
export type OAuthResource = z.infer<typeof ZOAuthResource>;

export const ZOAuthClientSummary = z.object({
  id: z.string(),
  /** As the client registered it (untrusted text: shown escaped, never as markup); null when it gave none. */
  name: z.string().nullable(),
  /** The host (or scheme, for an app's own scheme such as vscode:) the person is sent back to. */
  redirectHost: z.string(),
  registeredAt: ZIsoDate,
  /** Registered within OAUTH_NEW_CLIENT_SECONDS. */
  registeredRecently: z.boolean(),
  /** MREG verifies no client: every dynamically registered client is unverified. */
  verified: z.boolean(),
});
export type OAuthClientSummary = z.infer<typeof ZOAuthClientSummary>;

/** A tenant the person may pick on the consent page. */
export const ZOAuthTenantChoice = z.object({
  tenantId: ZTenantId,
  tenantName: z.string(),
  role: z.string(),
  /** False when the resource is one server that this tenant has no server for. */
  available: z.boolean(),
});

export const ZOAuthConsent = z.object({
  client: ZOAuthClientSummary,
  resource: ZOAuthResource,
  scopes: z.array(z.string()),
  tenants: z.array(ZOAuthTenantChoice),
  /** The session's active tenant, offered first when available. */
  activeTenantId: z.string().nullable(),
  expiresAt: ZIsoDate,
});
export type OAuthConsent = z.infer<typeof ZOAuthConsent>;

export const ZOAuthDecideInput = z
  .strictObject({
    requestId: ZOAuthRequestId,
    approve: z.boolean({ error: orRequired('must be true (approve) or false (deny)') }),
    /** The tenant the client will act in: required to approve. */
    tenantId: ZTenantId.optional(),
  })
  .refine((input) => !input.approve || input.tenantId !== undefined, { path: ['tenantId'], error: 'Choose the tenant to approve for' });

/** Where the browser goes next: the client's redirect URI with the code (or the error) and state. */
export const ZOAuthDecision = z.object({ redirectTo: z.string() });

/** A connected MCP client: one grant. */
export const ZOAuthGrant = z.object({
  id: ZOAuthGrantId,
  client: z.object({ id: z.string(), name: z.string().nullable(), redirectHost: z.string() }),
  tenantId: z.string(),
  tenantName: z.string(),
  resource: ZOAuthResource,
  approvedAt: ZIsoDate,
  /** Updated at most once a minute. */
  lastUsedAt: ZIsoDate.nullable(),
});
export type OAuthGrant = z.infer<typeof ZOAuthGrant>;
export const ZOAuthGrantList = z.array(ZOAuthGrant);

export const ZRevokeGrantInput = z.strictObject({ grantId: ZOAuthGrantId });
export const ZRevokeGrantResult = z.object({ revoked: z.literal(true) });

export const ZMemberGrantsInput = z.strictObject({ userId: ZUserId });
export const ZRevokeMemberGrantInput = z.strictObject({ userId: ZUserId, grantId: ZOAuthGrantId });
