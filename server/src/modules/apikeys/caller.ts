import type { TenantContext } from '@mreg/shared';

/**
 * Who a bearer request (/mcp, /mcp/<slug>, or /trpc with `Authorization: Bearer`) acts for: the
 * credential's owner in the tenant the credential was made for, with the owner's standing there as
 * it is now (re-checked on every request). An API key (issue 19) or an OAuth access token (issue
 * 20), whose `id` is its grant's: the refreshed tokens of one grant are one caller.
 */
export interface BearerCaller {
  credential: { kind: 'apiKey'; id: string } | { kind: 'oauth'; id: string; clientId: string; resource: string; /** Epoch ms. */ expiresAt: number };
  userId: string;
  /** The owner's active membership of the credential's tenant, with its effective permissions. */
  tenant: TenantContext;
}
