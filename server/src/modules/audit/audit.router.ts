import { ZAuditPage, ZListAuditInput, ZUsage, ZUsageInput } from '@mreg/shared';
import { requirePermission, router, tenantProcedure } from '../../trpc/trpc';
import { listAuditEvents, usage } from './audit.service';

/**
 * The active tenant's audit log, for audit:read; usage (tool calls, errors, latency) for anyone who
 * sees the registry, with the most used tools and most active people for audit:read only.
 */
export const auditRouter = router({
  list: tenantProcedure
    .use(requirePermission('audit:read'))
    .input(ZListAuditInput)
    .output(ZAuditPage)
    .query(({ ctx, input }) => listAuditEvents(ctx.em, ctx.tenant.tenantId, input)),

  usage: tenantProcedure
    .use(requirePermission('registry:read'))
    .input(ZUsageInput)
    .output(ZUsage)
    .query(({ ctx, input }) =>
      usage(ctx.em, ctx.tenant.tenantId, { serverId: input.serverId, now: ctx.clock(), withTops: ctx.tenant.permissions.includes('audit:read') }),
    ),
});
