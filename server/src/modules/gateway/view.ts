import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { gatewayName, gatewayOmissionReason, gatewayUri, type Catalogue } from '@mreg/shared';

/**
 * A tenant's servers as /mcp shows them (issue 19): the tools, prompts and resources of its
 * enabled, healthy servers (tools that run only as MCP tasks left out: /mcp does not carry tasks), renamed `<slug>__<name>` and `mreg://<slug>/<uri>`, built from the
 * catalogues in PostgreSQL, never from an upstream. Each process keeps the view it built per tenant
 * and checks, at most once a second per tenant, a fingerprint of the tenant's servers (ids, slugs,
 * versions, health and catalogue times): a change anywhere (this instance, another, the health loop)
 * shows within a second, and only a change rebuilds the view.
 */

/** A server as the gateway routes to it. */
export interface GatewayServer {
  id: string;
  slug: string;
  name: string;
  enabled: boolean;
  status: 'healthy' | 'unhealthy' | 'unknown';
  lastError: string | null;
  /** Its row's updatedAt (ms): a new URL or credential makes a new version, and a new upstream connection. */
  version: number;
}

export interface Route {
  server: GatewayServer;
  /** The upstream's own name (tool, prompt) or URI (resource). */
  name: string;
}

export interface GatewayView {
  readonly fingerprint: string;
  /** Every server of the tenant by slug, served or not (to say why one is not). */
  readonly servers: ReadonlyMap<string, GatewayServer>;
  readonly tools: readonly Tool[];
  readonly prompts: readonly Prompt[];
  readonly resources: readonly Resource[];
  readonly resourceTemplates: readonly ResourceTemplate[];
  readonly toolRoutes: ReadonlyMap<string, Route>;
  readonly promptRoutes: ReadonlyMap<string, Route>;
}

/** How long a view is used without looking at the fingerprint again. */
export const VIEW_FRESH_MS = 1000;

interface StateRow {
  id: string;
  slug: string;
  name: string;
  enabled: boolean;
  updated_at: Date;
  status: GatewayServer['status'] | null;
  last_error: string | null;
  fetched_at: Date | null;
}

const served = (server: GatewayServer) => server.enabled && server.status === 'healthy';

async function loadState(em: EntityManager, tenantId: string): Promise<{ fingerprint: string; servers: GatewayServer[]; catalogued: Set<string> }> {
  const rows = await em.execute<StateRow[]>(
    `select s.id, s.slug, s.name, s.enabled, s.updated_at, h.status, h.last_error, c.fetched_at
       from mcp_servers s
       left join mcp_server_health h on h.server_id = s.id
       left join mcp_server_catalogues c on c.server_id = s.id
      where s.tenant_id = ?
      order by s.slug`,
    [tenantId],
  );
  const hash = createHash('sha256');
  const servers: GatewayServer[] = [];
  const catalogued = new Set<string>();
  for (const row of rows) {
    const version = new Date(row.updated_at).getTime();
    const fetched = row.fetched_at ? new Date(row.fetched_at).getTime() : 0;
    const server: GatewayServer = { id: row.id, slug: row.slug, name: row.name, enabled: row.enabled, status: row.status ?? 'unknown', lastError: row.last_error, version };
    // The words of the last error are not part of it: they do not change what is served.
    hash.update(`${row.id}|${row.slug}|${row.enabled}|${version}|${server.status}|${fetched}\n`);
    servers.push(server);
    if (row.fetched_at) catalogued.add(row.id);
  }
  return { fingerprint: hash.digest('hex'), servers, catalogued };
}

type CatalogueRow = { server_id: string } & Pick<Catalogue, 'tools' | 'prompts' | 'resources'> & { resource_templates: Catalogue['resourceTemplates'] };

async function buildView(em: EntityManager, state: Awaited<ReturnType<typeof loadState>>): Promise<GatewayView> {
  const live = state.servers.filter((server) => served(server) && state.catalogued.has(server.id));
  const rows = live.length
    ? await em.execute<CatalogueRow[]>(`select server_id, tools, prompts, resources, resource_templates from mcp_server_catalogues where server_id in (?)`, [
        live.map((server) => server.id),
      ])
    : [];
  const byId = new Map(rows.map((row) => [row.server_id, row]));
  const tools: Tool[] = [];
  const prompts: Prompt[] = [];
  const resources: Resource[] = [];
  const resourceTemplates: ResourceTemplate[] = [];
  const toolRoutes = new Map<string, Route>();
  const promptRoutes = new Map<string, Route>();
  for (const server of live) {
    const catalogue = byId.get(server.id);
    if (!catalogue) continue;
    for (const tool of catalogue.tools) {
      const name = gatewayName(server.slug, tool.name);
      if (toolRoutes.has(name) || gatewayOmissionReason('tool', server.slug, tool)) continue;
      tools.push({ ...tool, name } as Tool);
      toolRoutes.set(name, { server, name: tool.name });
    }
    for (const prompt of catalogue.prompts) {
      const name = gatewayName(server.slug, prompt.name);
      if (promptRoutes.has(name) || gatewayOmissionReason('prompt', server.slug, prompt)) continue;
      prompts.push({ ...prompt, name } as Prompt);
      promptRoutes.set(name, { server, name: prompt.name });
    }
    for (const resource of catalogue.resources) {
      resources.push({ ...resource, uri: gatewayUri(server.slug, resource.uri), name: gatewayName(server.slug, resource.name) } as Resource);
    }
    for (const template of catalogue.resource_templates) {
      resourceTemplates.push({ ...template, uriTemplate: gatewayUri(server.slug, template.uriTemplate), name: gatewayName(server.slug, template.name) } as ResourceTemplate);
    }
  }
  return {
    fingerprint: state.fingerprint,
    servers: new Map(state.servers.map((server) => [server.slug, server])),
    tools,
    prompts,
    resources,
    resourceTemplates,
    toolRoutes,
    promptRoutes,
  };
}

interface Kept {
  view: GatewayView;
  checkedAt: number;
  checking?: Promise<GatewayView>;
}

/** The views of this process, per tenant. */
export interface GatewayViews {
  /** The tenant's view, checked against the database at most once a VIEW_FRESH_MS. */
  of(tenantId: string): Promise<GatewayView>;
  /** Something changed here: the next `of` looks at the database whatever the time. */
  forget(tenantId?: string): void;
}

export function gatewayViews(em: EntityManager, now: () => number = Date.now, maxTenants = 1000): GatewayViews {
  const kept = new Map<string, Kept>();
  const check = async (tenantId: string, previous: Kept | undefined): Promise<GatewayView> => {
    const fork = em.fork();
    const state = await loadState(fork, tenantId);
    const view = previous && previous.view.fingerprint === state.fingerprint ? previous.view : await buildView(fork, state);
    kept.delete(tenantId);
    kept.set(tenantId, { view, checkedAt: now() });
    if (kept.size > maxTenants) kept.delete(kept.keys().next().value!);
    return view;
  };
  return {
    async of(tenantId) {
      const known = kept.get(tenantId);
      if (known && now() - known.checkedAt < VIEW_FRESH_MS) return known.view;
      if (known?.checking) return known.checking;
      const checking = check(tenantId, known);
      if (known) known.checking = checking;
      try {
        return await checking;
      } finally {
        if (known) known.checking = undefined;
      }
    },
    forget(tenantId) {
      if (tenantId === undefined) {
        for (const entry of kept.values()) entry.checkedAt = 0;
        return;
      }
      const entry = kept.get(tenantId);
      if (entry) entry.checkedAt = 0;
    },
  };
}
