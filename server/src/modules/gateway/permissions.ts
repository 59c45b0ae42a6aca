import type { Permission, TenantContext } from '@mreg/shared';

/**
 * What MCP methods need, the same through /mcp and /mcp/<slug> (DESIGN.md, "Permissions"):
 * registry:read for anything, tools:call as well to call a tool. A viewer lists; only members call.
 */
export function missingPermission(tenant: TenantContext, methods: readonly string[]): Permission | undefined {
  const needed: Permission[] = ['registry:read', ...(methods.includes('tools/call') ? (['tools:call'] as const) : [])];
  return needed.find((permission) => !tenant.permissions.includes(permission));
}
