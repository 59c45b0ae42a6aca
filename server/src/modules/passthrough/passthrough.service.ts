import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantContext } from '@mreg/shared';
import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import { AppError } from '../../errors';
import { McpServer } from '../registry/registry.entity';
import { upstreamOf, type RegistryRuntime } from '../registry/registry.service';
import type { UpstreamTarget } from '../registry/upstream';

/**
 * What /mcp/<slug> needs to know before it forwards a request: which server the slug names in the
 * caller's tenant, and which permissions the request's JSON-RPC messages need. MREG reads the
 * messages only for that; it forwards the bytes it was sent.
 */

export const SLUG = /^[a-z0-9-]{1,16}$/;

export interface PassThroughServer {
  id: string;
  slug: string;
  /** Changes whenever the server is saved: the pool's key for a fresh connection Agent. */
  version: string;
  target: UpstreamTarget;
}

const noSuchServer = (tenant: TenantContext, slug: string) =>
  new AppError('NOT_FOUND', `There is no MCP server "${slug}" in ${tenant.tenantName}`);

/**
 * The enabled server of that slug in the tenant, with its credential opened; NOT_FOUND naming the
 * slug for an unknown slug, another tenant's, or a disabled server. An unreadable stored credential
 * throws UnreadableSecretError (registry.service.ts).
 */
export async function findPassThroughServer(em: EntityManager, registry: RegistryRuntime, tenant: TenantContext, slug: string): Promise<PassThroughServer> {
  if (!SLUG.test(slug)) throw noSuchServer(tenant, slug);
  const server = await em.findOne(McpServer, { tenant: tenant.tenantId, slug });
  if (!server) throw noSuchServer(tenant, slug);
  if (!server.enabled) throw new AppError('NOT_FOUND', `The MCP server "${slug}" is disabled in ${tenant.tenantName}`);
  return { id: server.id, slug, version: `${server.url} ${server.updatedAt.getTime()}`, target: await upstreamOf(em, registry, server) };
}

export type JsonRpcId = string | number | null;

export interface ReadMessages {
  /** The methods of the requests and notifications the body holds (one message or a batch). */
  methods: string[];
  /** The id to answer a refusal with: the single request's, else null. */
  id: JsonRpcId;
  /** How many messages the body holds. */
  count: number;
  /** The tools the body's tools/call requests name (for the audit log), clipped to 200 characters. */
  tools: string[];
  /**
   * The body to pass on: the very value checked, written again, so that no upstream reads another
   * message from it than MREG did (a key given twice is the last one to JSON.parse, and may be the
   * first to another parser).
   */
  checked: Buffer;
}

/**
 * Most messages in one batch, as the MCP SDK's servers take (a larger batch is refused before any
 * of it is passed on): each tools/call in it is an audit event, and a 4 MiB body could hold 170,000.
 */
export const PASS_THROUGH_MAX_BATCH = MAX_BATCH_SIZE;

/** The methods and id of a POST's JSON-RPC body; undefined when it is not JSON, null when not JSON-RPC messages (objects). */
export function readMessages(body: Buffer): ReadMessages | undefined | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (messages.length === 0 || !messages.every((message) => typeof message === 'object' && message !== null && !Array.isArray(message))) return null;
  const methods = messages.flatMap((message) => {
    const method = (message as { method?: unknown } | null)?.method;
    return typeof method === 'string' ? [method] : [];
  });
  const tools = messages.flatMap((message) => {
    const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
    if (method !== 'tools/call') return [];
    return [typeof params?.name === 'string' ? params.name.slice(0, 200) : ''];
  });
  const single = Array.isArray(parsed) ? undefined : (parsed as { id?: unknown } | null);
  const id = typeof single?.id === 'string' || typeof single?.id === 'number' ? single.id : null;
  return { methods, id, tools, count: messages.length, checked: Buffer.from(JSON.stringify(parsed)) };
}

