import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { gatewayOmissions } from '@mreg/shared';
import type {
  Catalogue,
  CreateServerInput,
  DiscoveryOutcome,
  Server,
  ServerAuth,
  ServerAuthInput,
  ServerDetail,
  ServerSaved,
  TenantContext,
  TestServerInput,
  TestServerResult,
  UpdateServerInput,
} from '@mreg/shared';
import { AppError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { SecretBox } from '../../lib/secrets';
import { McpServer, McpServerCatalogue, McpServerHealth, type IMcpServer } from './registry.entity';
import { recordCheck } from './registry.health';
import { audit, type PersonActor } from '../audit/audit.writer';
import { discover, urlRefusal, type UpstreamPolicy, type UpstreamTarget } from './upstream';
import { secretsOf } from './upstream/fetch';
import { redact } from './upstream/words';

/**
 * The registry of a tenant's MCP servers (issue 18): reads answer from the database alone, never
 * waiting on an upstream; create, update and refresh discover the server after saving it and say
 * how that went. Every call names the active tenant: a server of another tenant is NOT_FOUND.
 */

export interface RegistryRuntime {
  /** Where upstreams may be and how far they are trusted (settings.registry and fixed bounds). */
  policy: UpstreamPolicy;
  secrets: SecretBox;
  /** Failed checks in a row after which a server is unhealthy. */
  unhealthyAfter: number;
  /**
   * Called after a server is saved or removed here, so that this instance follows the change at
   * once (registry.runtime.ts sets it; other instances catch up at their next sync).
   */
  serversChanged(): void;
  /** Counts a check of a server (metrics). */
  observeCheck(serverId: string, kind: 'discover' | 'ping', ok: boolean, seconds: number): void;
}

export interface RegistryDeps {
  em: EntityManager;
  registry: RegistryRuntime;
  clock: Clock;
}

interface ServerRow {
  id: string;
  slug: string;
  name: string;
  url: string;
  description: string | null;
  enabled: boolean;
  auth_kind: 'none' | 'bearer' | 'header';
  auth_header_name: string | null;
  status: 'healthy' | 'unhealthy' | 'unknown' | null;
  last_checked_at: Date | null;
  last_error: string | null;
  tool_count: number | null;
  created_at: Date;
  updated_at: Date;
}

/** The servers' fields as answered, with health and tool count, without reading catalogues or secrets. */
const SERVER_ROWS = `
  select s.id, s.slug, s.name, s.url, s.description, s.enabled, s.auth_kind, s.auth_header_name,
         h.status, h.last_checked_at, h.last_error, jsonb_array_length(c.tools) as tool_count,
         s.created_at, s.updated_at
    from mcp_servers s
    left join mcp_server_health h on h.server_id = s.id
    left join mcp_server_catalogues c on c.server_id = s.id`;

function answerAuth(kind: ServerRow['auth_kind'], headerName: string | null): ServerAuth {
  if (kind === 'header') return { kind, name: headerName ?? '' };
  return { kind };
}

function toServer(row: ServerRow): Server {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    url: row.url,
    description: row.description,
    enabled: row.enabled,
    auth: answerAuth(row.auth_kind, row.auth_header_name),
    status: row.enabled ? (row.status ?? 'unknown') : 'disabled',
    lastCheckedAt: row.last_checked_at ? new Date(row.last_checked_at).toISOString() : null,
    lastError: row.last_error,
    toolCount: row.tool_count === null ? null : Number(row.tool_count),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export async function listServers(em: EntityManager, tenant: TenantContext): Promise<Server[]> {
  const rows = await em.execute<ServerRow[]>(`${SERVER_ROWS} where s.tenant_id = ? order by s.name, s.slug`, [tenant.tenantId]);
  return rows.map(toServer);
}

async function serverRow(em: EntityManager, tenant: TenantContext, id: string): Promise<Server> {
  const [row] = await em.execute<ServerRow[]>(`${SERVER_ROWS} where s.tenant_id = ? and s.id = ?`, [tenant.tenantId, id]);
  if (!row) throw notFound(tenant, id);
  return toServer(row);
}

const notFound = (tenant: TenantContext, id: string) => new AppError('NOT_FOUND', `There is no server ${id} in ${tenant.tenantName}`);

export async function getServer(em: EntityManager, tenant: TenantContext, id: string): Promise<ServerDetail> {
  const server = await serverRow(em, tenant, id);
  const [catalogue, health] = await Promise.all([
    em.findOne(McpServerCatalogue, { server: id }),
    em.findOne(McpServerHealth, { server: id }),
  ]);
  return {
    server,
    catalogue: catalogue
      ? {
          serverInfo: catalogue.serverInfo,
          protocolVersion: catalogue.protocolVersion,
          ...(catalogue.instructions !== null && catalogue.instructions !== undefined && { instructions: catalogue.instructions }),
          tools: catalogue.tools,
          resources: catalogue.resources,
          resourceTemplates: catalogue.resourceTemplates,
          prompts: catalogue.prompts,
          fetchedAt: catalogue.fetchedAt.toISOString(),
        }
      : null,
    gatewayOmitted: catalogue ? gatewayOmissions(server.slug, catalogue) : [],
    health: {
      lastSuccessAt: health?.lastSuccessAt?.toISOString() ?? null,
      consecutiveFailures: health?.consecutiveFailures ?? 0,
      latencyMs: health?.latencyMs ?? null,
    },
  };
}

/** The URL may be saved (SSRF at save time; connection time is the upstream module's): BAD_REQUEST naming it otherwise. */
function checkUrl(registry: RegistryRuntime, url: string) {
  const refusal = urlRefusal(url, registry.policy);
  if (refusal) throw new AppError('BAD_REQUEST', `url: ${refusal}`);
}

function sealAuth(registry: RegistryRuntime, auth: ServerAuthInput): Pick<IMcpServer, 'authKind' | 'authHeaderName' | 'authSecret'> {
  switch (auth.kind) {
    case 'none':
      return { authKind: 'none', authHeaderName: null, authSecret: null };
    case 'bearer':
      return { authKind: 'bearer', authHeaderName: null, authSecret: registry.secrets.seal(auth.token) };
    case 'header':
      return { authKind: 'header', authHeaderName: auth.name, authSecret: registry.secrets.seal(auth.value) };
  }
}

/** A stored credential that does not open under this key (MREG_SECRET_KEY changed, or instances with different keys). */
export class UnreadableSecretError extends Error {
  constructor() {
    super("The stored credential cannot be read with this server's key (MREG_SECRET_KEY or MREG_DATA_DIR/secret.key changed?); enter it again");
    this.name = 'UnreadableSecretError';
  }
}

/** The stored credential, opened: only for a call to the upstream, never answered or logged. */
async function storedAuth(em: EntityManager, registry: RegistryRuntime, server: IMcpServer): Promise<ServerAuthInput> {
  if (server.authKind === 'none') return { kind: 'none' };
  await em.populate(server, ['authSecret']);
  let secret: string;
  try {
    secret = server.authSecret ? registry.secrets.open(Buffer.from(server.authSecret)) : '';
  } catch {
    throw new UnreadableSecretError();
  }
  return server.authKind === 'bearer' ? { kind: 'bearer', token: secret } : { kind: 'header', name: server.authHeaderName ?? '', value: secret };
}

/**
 * A stored credential goes only to the origin it was given for: a URL moved elsewhere needs it
 * entered again, or anyone with registry:write could send it to a server of their own.
 */
function credentialStaysHome(server: IMcpServer, url: string, authGiven: boolean) {
  if (authGiven || server.authKind === 'none' || new URL(url).origin === new URL(server.url).origin) return;
  throw new AppError(
    'BAD_REQUEST',
    `auth: ${new URL(url).origin} is another origin than ${new URL(server.url).origin}; enter the credential again, since the stored one goes only to the server it was given for`,
  );
}

const slugTaken = (tenant: TenantContext, slug: string) =>
  new AppError('CONFLICT', `slug: ${slug} is already taken by another server in ${tenant.tenantName}; choose another`);

/**
 * Flushes `em`'s changes and runs `more` in one transaction: a registry change and its audit event
 * commit together or not at all.
 */
async function inOneTransaction(em: EntityManager, more: () => Promise<void>): Promise<void> {
  await em.begin();
  try {
    await em.flush();
    await more();
    await em.commit();
  } catch (error) {
    await em.rollback();
    throw error;
  }
}

export async function createServer(deps: RegistryDeps, tenant: TenantContext, actor: PersonActor, input: CreateServerInput): Promise<ServerSaved> {
  const { em, registry } = deps;
  const actorId = actor.userId;
  checkUrl(registry, input.url);
  const server = em.create(McpServer, {
    tenant: tenant.tenantId,
    slug: input.slug,
    name: input.name,
    url: input.url,
    description: input.description || null,
    enabled: input.enabled ?? true,
    ...sealAuth(registry, input.auth ?? { kind: 'none' }),
    createdBy: actorId,
    updatedBy: actorId,
  });
  em.create(McpServerHealth, { server });
  try {
    await inOneTransaction(em, () =>
      audit(em, {
        action: 'server.created',
        tenantId: tenant.tenantId,
        actor,
        target: { kind: 'server', id: server.id, label: server.name },
        // The origin only: a URL's path or query may carry a token.
        details: { slug: server.slug, origin: new URL(server.url).origin, enabled: server.enabled, auth: input.auth?.kind ?? 'none' },
      }),
    );
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw slugTaken(tenant, input.slug);
    throw error;
  }
  registry.serversChanged();
  const discovery: DiscoveryOutcome = server.enabled ? await discoverAndRecord(deps, server) : NOT_CONTACTED;
  return { server: await serverRow(em, tenant, server.id), discovery };
}

const NOT_CONTACTED: DiscoveryOutcome = { ok: false, error: 'The server is disabled: MREG did not contact it' };

/** The fields of an update that change something (a credential given counts: it cannot be compared). */
function changedFields(server: IMcpServer, input: UpdateServerInput): string[] {
  const fields = (['slug', 'name', 'url', 'enabled'] as const).filter((field) => input[field] !== undefined && input[field] !== server[field]);
  const description = input.description === undefined ? [] : (input.description || null) !== server.description ? ['description'] : [];
  return [...fields, ...description, ...(input.auth !== undefined ? ['auth'] : [])];
}

export async function updateServer(deps: RegistryDeps, tenant: TenantContext, actor: PersonActor, input: UpdateServerInput): Promise<ServerSaved> {
  const { em, registry } = deps;
  const actorId = actor.userId;
  const server = await em.findOne(McpServer, { id: input.id, tenant: tenant.tenantId });
  if (!server) throw notFound(tenant, input.id);
  if (input.url !== undefined) {
    checkUrl(registry, input.url);
    credentialStaysHome(server, input.url, input.auth !== undefined);
  }
  const moved = (input.url !== undefined && input.url !== server.url) || input.auth !== undefined;
  const reached = moved || (input.enabled === true && !server.enabled);
  const fields = changedFields(server, input);
  em.assign(server, {
    ...(input.slug !== undefined && { slug: input.slug }),
    ...(input.name !== undefined && { name: input.name }),
    ...(input.url !== undefined && { url: input.url }),
    ...(input.description !== undefined && { description: input.description || null }),
    ...(input.enabled !== undefined && { enabled: input.enabled }),
    ...(input.auth !== undefined && sealAuth(registry, input.auth)),
    updatedBy: actorId,
  });
  try {
    await inOneTransaction(em, async () => {
      // Another URL or credential: what was known of the old one's health no longer says anything.
      if (moved) await em.nativeUpdate(McpServerHealth, { server: server.id }, { status: 'unknown', consecutiveFailures: 0, lastError: null, latencyMs: null });
      if (fields.length > 0) {
        await audit(em, { action: 'server.changed', tenantId: tenant.tenantId, actor, target: { kind: 'server', id: server.id, label: server.name }, details: { fields } });
      }
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw slugTaken(tenant, input.slug ?? server.slug);
    throw error;
  }
  registry.serversChanged();
  // A server reached another way (URL, credential) or enabled again is discovered at once.
  const discovery: DiscoveryOutcome = reached && server.enabled ? await discoverAndRecord(deps, server) : await lastOutcome(em, server.id);
  return { server: await serverRow(em, tenant, server.id), discovery };
}

export async function removeServer({ em, registry }: RegistryDeps, tenant: TenantContext, actor: PersonActor, id: string): Promise<{ id: string }> {
  await em.transactional(async (tx) => {
    const [removed] = await tx.execute<{ name: string; slug: string }[]>(`delete from mcp_servers where id = ? and tenant_id = ? returning name, slug`, [id, tenant.tenantId]);
    if (!removed) throw notFound(tenant, id);
    await audit(tx, { action: 'server.removed', tenantId: tenant.tenantId, actor, target: { kind: 'server', id, label: removed.name }, details: { slug: removed.slug } });
  });
  registry.serversChanged();
  return { id };
}

export async function refreshServer(deps: RegistryDeps, tenant: TenantContext, id: string): Promise<ServerSaved> {
  const server = await deps.em.findOne(McpServer, { id, tenant: tenant.tenantId });
  if (!server) throw notFound(tenant, id);
  if (!server.enabled) {
    throw new AppError('CONFLICT', `${server.name} is disabled: enable it to discover it again`);
  }
  const discovery = await discoverAndRecord(deps, server);
  return { server: await serverRow(deps.em, tenant, id), discovery };
}

/** What the upstream says to a server not saved (yet): nothing is stored. With `id`, its stored credential stands in for `auth` left out. */
export async function testServer(deps: RegistryDeps, tenant: TenantContext, input: TestServerInput): Promise<TestServerResult> {
  const { em, registry } = deps;
  checkUrl(registry, input.url);
  let auth = input.auth;
  if (!auth && input.id) {
    const server = await em.findOne(McpServer, { id: input.id, tenant: tenant.tenantId });
    if (!server) throw notFound(tenant, input.id);
    credentialStaysHome(server, input.url, false);
    try {
      auth = await storedAuth(em, registry, server);
    } catch (error) {
      if (error instanceof UnreadableSecretError) throw new AppError('BAD_REQUEST', `auth: ${error.message}`);
      throw error;
    }
  }
  const found = await discover({ url: input.url, auth: auth ?? { kind: 'none' } }, registry.policy);
  if (!found.ok) return found;
  const { catalogue } = found;
  return {
    ok: true,
    serverInfo: withoutSecrets(catalogue.serverInfo, secretsOf(auth ?? { kind: 'none' })),
    protocolVersion: catalogue.protocolVersion,
    toolCount: catalogue.tools.length,
    resourceCount: catalogue.resources.length + catalogue.resourceTemplates.length,
    promptCount: catalogue.prompts.length,
    latencyMs: found.latencyMs,
  };
}

/** How the server looks now, for an update that did not discover it again. */
async function lastOutcome(em: EntityManager, serverId: string): Promise<DiscoveryOutcome> {
  const [health, catalogue] = await Promise.all([em.findOne(McpServerHealth, { server: serverId }), em.findOne(McpServerCatalogue, { server: serverId })]);
  if (health?.lastError) return { ok: false, error: health.lastError };
  return { ok: true, toolCount: catalogue?.tools.length ?? 0, latencyMs: health?.latencyMs ?? 0 };
}

/** The upstream of a stored server, its credential opened. */
export async function upstreamOf(em: EntityManager, registry: RegistryRuntime, server: IMcpServer): Promise<UpstreamTarget> {
  return { url: server.url, auth: await storedAuth(em, registry, server) };
}

/**
 * Discovers a stored server and records what came of it: the new catalogue (replacing the old
 * whole) and a check in its health. Upstream failures are answered, not thrown.
 */
export async function discoverAndRecord(deps: RegistryDeps, server: IMcpServer): Promise<DiscoveryOutcome> {
  const { em, registry, clock } = deps;
  const started = performance.now();
  let found: Awaited<ReturnType<typeof discover>>;
  try {
    const target = await upstreamOf(em, registry, server);
    found = await discover(target, registry.policy);
    // An upstream may echo its own credential into its lists: what readers see never holds it.
    if (found.ok) found = { ...found, catalogue: withoutSecrets(found.catalogue, secretsOf(target.auth)) };
  } catch (error) {
    if (!(error instanceof UnreadableSecretError)) throw error;
    found = { ok: false, error: error.message };
  }
  registry.observeCheck(server.id, 'discover', found.ok, (performance.now() - started) / 1000);
  const now = clock();
  if (found.ok) {
    try {
      await storeCatalogue(em, server.id, found.catalogue);
    } catch (error) {
      // Removed while it was being discovered: there is nothing left to record it on.
      if (error instanceof ForeignKeyConstraintViolationException) return { ok: false, error: 'The server was removed meanwhile' };
      // Text PostgreSQL cannot hold (a NUL, a broken surrogate): the catalogue cannot be kept.
      if (!UNSTORABLE_TEXT.has((error as { code?: string }).code ?? '')) throw error;
      found = { ok: false, error: 'The server\'s lists hold text that cannot be stored (a NUL character or a broken UTF-16 surrogate); MREG keeps its last catalogue' };
    }
  }
  await recordCheck(em, server.id, found.ok ? { ok: true, latencyMs: found.latencyMs } : found, { now, unhealthyAfter: registry.unhealthyAfter });
  return found.ok ? { ok: true, toolCount: found.catalogue.tools.length, latencyMs: found.latencyMs } : { ok: false, error: found.error };
}

/** `value` with every string (keys included) redacted of `secrets`; walked without recursion, however deep. */
function withoutSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.every((secret) => !secret)) return value;
  const clean = (text: string) => redact(text, secrets);
  const root = { value: structuredClone(value) as unknown };
  const pending: Record<string, unknown>[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    for (const key of Object.keys(node)) {
      const child = node[key];
      const cleanKey = clean(key);
      if (cleanKey !== key) delete node[key];
      if (typeof child === 'string') node[cleanKey] = clean(child);
      else {
        node[cleanKey] = child;
        if (child !== null && typeof child === 'object') pending.push(child as Record<string, unknown>);
      }
    }
  }
  return root.value as T;
}

/** PostgreSQL's codes for text it cannot hold: untranslatable character, invalid escape or JSON text, NUL in text. */
const UNSTORABLE_TEXT = new Set(['22P05', '22021', '22P02', '22025', '22032']);

async function storeCatalogue(em: EntityManager, serverId: string, catalogue: Catalogue): Promise<void> {
  const fields = {
    serverInfo: catalogue.serverInfo,
    protocolVersion: catalogue.protocolVersion,
    instructions: catalogue.instructions ?? null,
    tools: catalogue.tools,
    resources: catalogue.resources,
    resourceTemplates: catalogue.resourceTemplates,
    prompts: catalogue.prompts,
    sizeBytes: Buffer.byteLength(JSON.stringify(catalogue)),
    fetchedAt: new Date(catalogue.fetchedAt),
  };
  await em.upsert(McpServerCatalogue, { server: serverId, ...fields }, { onConflictFields: ['server'], onConflictAction: 'merge' });
}
