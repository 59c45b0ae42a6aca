import {
  ZCreateServerInput,
  ZNoInput,
  ZRemoveServerResult,
  ZServerDetail,
  ZServerIdInput,
  ZServerList,
  ZServerSaved,
  ZTestServerInput,
  ZTestServerResult,
  ZUpdateServerInput,
} from '@mreg/shared';
import { requirePermission, router, tenantProcedure } from '../../trpc/trpc';
import type { Context } from '../../trpc/context';
import { createServer, getServer, listServers, refreshServer, removeServer, testServer, updateServer, type RegistryDeps } from './registry.service';

/**
 * The active tenant's MCP servers: registry:read to read, registry:write to change them or to have
 * MREG contact an upstream (refresh, test). Another tenant's server is NOT_FOUND.
 */
const readProcedure = tenantProcedure.use(requirePermission('registry:read'));
const writeProcedure = tenantProcedure.use(requirePermission('registry:write'));

const registryDeps = (ctx: Context): RegistryDeps => ({ em: ctx.em, registry: ctx.registry, clock: ctx.clock });

export const registryRouter = router({
  list: readProcedure
    .input(ZNoInput)
    .output(ZServerList)
    .query(({ ctx }) => listServers(ctx.em, ctx.tenant)),

  get: readProcedure
    .input(ZServerIdInput)
    .output(ZServerDetail)
    .query(({ ctx, input }) => getServer(ctx.em, ctx.tenant, input.id)),

  create: writeProcedure
    .input(ZCreateServerInput)
    .output(ZServerSaved)
    .mutation(({ ctx, input }) => createServer(registryDeps(ctx), ctx.tenant, ctx.actor.audit, input)),

  update: writeProcedure
    .input(ZUpdateServerInput)
    .output(ZServerSaved)
    .mutation(({ ctx, input }) => updateServer(registryDeps(ctx), ctx.tenant, ctx.actor.audit, input)),

  remove: writeProcedure
    .input(ZServerIdInput)
    .output(ZRemoveServerResult)
    .mutation(({ ctx, input }) => removeServer(registryDeps(ctx), ctx.tenant, ctx.actor.audit, input.id)),

  refresh: writeProcedure
    .input(ZServerIdInput)
    .output(ZServerSaved)
    .mutation(({ ctx, input }) => refreshServer(registryDeps(ctx), ctx.tenant, input.id)),

  test: writeProcedure
    .input(ZTestServerInput)
    .output(ZTestServerResult)
    .mutation(({ ctx, input }) => testServer(registryDeps(ctx), ctx.tenant, input)),
});
