import type { TenantContext } from '@mreg/shared';

/**
 * Who a bearer request (/mcp, /mcp/<slug>, or /trpc with `Authorization: Bearer`) acts for: the
 * credential's owner in the tenant the credential was made for, with the owner's standing there as
 * it is now (re-checked on every request). Issue 19 has API keys; OAuth access tokens (issue 20)
 * answer the same shape.
 */
export interface BearerCaller {
  credential: { kind: 'apiKey'; id: string };
  userId: string;
  /** The owner's active membership of the credential's tenant, with its effective permissions. */
  tenant: TenantContext;
}
