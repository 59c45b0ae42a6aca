import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { Catalogue } from '@mreg/shared';
import { Tenant } from '../tenants/tenants.entity';
import { User } from '../users/users.entity';

/**
 * A tenant's registered MCP server (migration 6). `authSecret` is the bearer token or header value,
 * encrypted (lib/secrets.ts) and lazy, so that only the code that calls the upstream reads it.
 */
export const McpServer = defineEntity({
  name: 'McpServer',
  tableName: 'mcp_servers',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    slug: p.string().length(16),
    name: p.string().length(100),
    url: p.string().length(2048),
    description: p.string().length(1000).nullable(),
    enabled: p.boolean().default(true),
    authKind: p.enum(['none', 'bearer', 'header']).default('none'),
    authHeaderName: p.string().length(100).nullable(),
    authSecret: p.blob().nullable().lazy(true, false),
    createdBy: p.manyToOne(User).ref().nullable().deleteRule('set null').index(),
    updatedBy: p.manyToOne(User).ref().nullable().deleteRule('set null').index(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
  uniques: [{ properties: ['tenant', 'slug'] }],
});
export type IMcpServer = InferEntity<typeof McpServer>;

/** What discovery last found on a server: replaced whole at each successful discovery. */
export const McpServerCatalogue = defineEntity({
  name: 'McpServerCatalogue',
  tableName: 'mcp_server_catalogues',
  properties: (p) => ({
    server: p.oneToOne(McpServer).ref().owner().primary().deleteRule('cascade'),
    serverInfo: p.json<Catalogue['serverInfo']>(),
    protocolVersion: p.string().length(50),
    instructions: p.text().nullable(),
    tools: p.json<Catalogue['tools']>(),
    resources: p.json<Catalogue['resources']>(),
    resourceTemplates: p.json<Catalogue['resourceTemplates']>(),
    prompts: p.json<Catalogue['prompts']>(),
    /** The catalogue's size as JSON, bounded by discovery. */
    sizeBytes: p.integer(),
    fetchedAt: p.datetime(),
  }),
});
export type IMcpServerCatalogue = InferEntity<typeof McpServerCatalogue>;

/** A server's health as the health loop and discovery last saw it. */
export const McpServerHealth = defineEntity({
  name: 'McpServerHealth',
  tableName: 'mcp_server_health',
  properties: (p) => ({
    server: p.oneToOne(McpServer).ref().owner().primary().deleteRule('cascade'),
    status: p.enum(['healthy', 'unhealthy', 'unknown']).default('unknown'),
    lastCheckedAt: p.datetime().nullable(),
    lastSuccessAt: p.datetime().nullable(),
    lastError: p.string().length(1000).nullable(),
    consecutiveFailures: p.integer().default(0),
    latencyMs: p.integer().nullable(),
    /** When the health loop next pings it: its interval with jitter, later with backoff while it stays down. */
    nextCheckAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).index(),
  }),
});
export type IMcpServerHealth = InferEntity<typeof McpServerHealth>;
