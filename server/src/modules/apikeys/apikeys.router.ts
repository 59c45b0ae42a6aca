import { ZApiKeyCreated, ZApiKeyIdInput, ZApiKeyList, ZCreateApiKeyInput, ZNoInput, ZRevokeApiKeyResult } from '@mreg/shared';
import { browserSessionOnly, router, tenantProcedure } from '../../trpc/trpc';
import { apiKeyDeps, createApiKey, listApiKeys, revokeApiKey } from './apikeys.service';

/**
 * The caller's own API keys in the active tenant. Any active member may hold keys (a key has at most
 * its owner's permissions); keys are made and revoked from the browser session only, so that a
 * leaked key cannot make itself a successor.
 */

export const apiKeysRouter = router({
  list: tenantProcedure
    .input(ZNoInput)
    .output(ZApiKeyList)
    .query(({ ctx }) => listApiKeys(apiKeyDeps(ctx), ctx.actor.userId, ctx.tenant)),

  create: tenantProcedure
    .use(browserSessionOnly)
    .input(ZCreateApiKeyInput)
    .output(ZApiKeyCreated)
    .mutation(({ ctx, input }) => createApiKey(apiKeyDeps(ctx), ctx.actor.userId, ctx.tenant, input)),

  revoke: tenantProcedure
    .use(browserSessionOnly)
    .input(ZApiKeyIdInput)
    .output(ZRevokeApiKeyResult)
    .mutation(({ ctx, input }) => revokeApiKey(apiKeyDeps(ctx), ctx.actor.userId, ctx.tenant, input.id)),
});
