import type { Request, RequestHandler, Response } from 'express';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Cache } from '../../cache/cache';
import type { Settings } from '../../config';
import type { Database } from '../../db/database';
import { AppError } from '../../errors';
import { callerOf, stillAdmitted } from '../../http/bearer';
import { jsonRpcRefusal } from '../../http/mcp-host';
import type { KeyCheck } from '../apikeys/apikeys.service';
import { METRICS_ROUTE } from '../../http/metrics';
import type { McpOutcome, Metrics, PassThroughOutcome } from '../../metrics/metrics';
import type { ToolCallRecorder } from '../gateway/tool-calls';
import { UnreadableSecretError, type RegistryRuntime } from '../registry/registry.service';
import { formatBytes } from '../registry/upstream/words';
import type { AgentPool } from './passthrough.agents';
import { forward, type ForwardDeps } from './passthrough.forward';
import { missingPermission } from '../gateway/permissions';
import { findPassThroughServer, PASS_THROUGH_MAX_BATCH, readMessages, type JsonRpcId, type PassThroughServer } from './passthrough.service';
import { checkSession } from './passthrough.sessions';

/**
 * `/mcp/<slug>`: one registered server of the caller's tenant, passed through at the HTTP level
 * (DESIGN.md, "The MCP part"; issue 19). Mounted after the Host/Origin check and requireBearer,
 * which leaves the caller for callerOf. A plain handler, not a Router route, so that the
 * request metrics label it `/mcp/:slug`, never with a tenant's slug.
 */

/** Largest request body passed on; larger ones get 413. */
export const PASS_THROUGH_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const PASS_THROUGH_ROUTE = '/mcp/:slug';
/**
 * How long this instance reuses a server it looked up (its URL and opened credential) before asking
 * the database again: a server disabled, removed or changed on any instance is followed within this
 * long, as /mcp follows the tenant's servers, and a busy session does not cost a query a request.
 */
export const SERVER_REUSE_MS = 1000;
const METHODS = new Set(['GET', 'POST', 'DELETE']);

export interface PassThroughDeps {
  /** The upstream connections, per server; closed with the gateway at shutdown. */
  agents: AgentPool;
  /** requireBearer's check, run again now and then for a stream that stays open. */
  authenticate(token: string): Promise<KeyCheck>;
  settings: Settings;
  db: Database;
  cache: Cache;
  logger: Logger;
  metrics: Metrics;
  registry: RegistryRuntime;
  /** Where tools/call requests passed through are recorded (the audit log's buffer). */
  toolCalls: ToolCallRecorder;
}

/**
 * How a tools/call passed through ended, as far as MREG sees it: answered by the upstream (whatever
 * the answer said: MREG does not read it), refused by MREG, or the upstream failing.
 */
const TOOL_CALL_OUTCOMES: Record<PassThroughOutcome, McpOutcome> = {
  forwarded: 'ok',
  not_found: 'refused',
  forbidden: 'refused',
  session_refused: 'refused',
  bad_request: 'refused',
  too_large: 'refused',
  upstream_unreachable: 'error',
  upstream_timeout: 'timeout',
  upstream_refused: 'error',
  answer_too_large: 'error',
  client_gone: 'cancelled',
  error: 'error',
};

/** The request body; 'too large' once it holds more than `limit` bytes, 'gone' when the client went away sending it. */
async function readBody(req: Request, limit: number): Promise<Buffer | 'too large' | 'gone'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return 'too large';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).byteLength;
      if (size > limit) return 'too large';
      chunks.push(chunk as Buffer);
    }
  } catch {
    return 'gone';
  }
  return Buffer.concat(chunks);
}

export function mcpPassThroughRoutes(deps: PassThroughDeps): RequestHandler {
  const log = deps.logger.child({ component: 'passthrough' });
  const agents = deps.agents;
  // By tenant and slug; found servers only, so a server just created is found at once.
  const servers = new LRUCache<string, PassThroughServer>({ max: 1000, ttl: SERVER_REUSE_MS });
  const forwardDeps: ForwardDeps = {
    cache: deps.cache,
    policy: deps.registry.policy,
    agents,
    callTimeoutMs: deps.settings.gateway.callTimeoutMs,
    metrics: deps.metrics,
    logger: log,
  };

  /** What the request's tools/call messages were and where they went, for the audit log. */
  interface Calls {
    tools: string[];
    server: PassThroughServer | undefined;
  }

  const handle = async (req: Request, res: Response, calls: Calls): Promise<PassThroughOutcome> => {
    const caller = callerOf(res);
    const slug = String(req.params.slug ?? '');
    let id: JsonRpcId = null;
    const refuse = (status: number, outcome: PassThroughOutcome, message: string, code = -32000) => {
      jsonRpcRefusal(res, status, message, id, code);
      return outcome;
    };
    const { tenant } = caller;
    const unread = missingPermission(tenant, []);
    if (unread) return refuse(403, 'forbidden', `Forbidden: /mcp/${slug} needs the permission ${unread} in ${tenant.tenantName}`);
    if (!METHODS.has(req.method)) {
      res.set('Allow', 'GET, POST, DELETE');
      return refuse(405, 'bad_request', `Method ${req.method} is not allowed: MCP Streamable HTTP takes POST, GET and DELETE`);
    }
    const method = req.method as 'GET' | 'POST' | 'DELETE';

    let body: Buffer | undefined;
    if (method === 'POST') {
      const read = await readBody(req, PASS_THROUGH_MAX_BODY_BYTES);
      if (read === 'gone') return 'client_gone';
      if (read === 'too large') {
        res.set('Connection', 'close');
        return refuse(413, 'too_large', `Request body too large; the limit is ${formatBytes(PASS_THROUGH_MAX_BODY_BYTES)}`);
      }
      const messages = readMessages(read);
      if (messages === undefined) return refuse(400, 'bad_request', 'Parse error: the request body is not JSON', -32700);
      if (messages === null) return refuse(400, 'bad_request', 'Invalid Request: the body must be a JSON-RPC message (an object) or a batch of them', -32600);
      if (messages.count > PASS_THROUGH_MAX_BATCH) return refuse(400, 'bad_request', `Invalid Request: a batch holds at most ${PASS_THROUGH_MAX_BATCH} messages`, -32600);
      body = messages.checked;
      id = messages.id;
      calls.tools = messages.tools;
      const missing = missingPermission(tenant, messages.methods);
      if (missing) return refuse(403, 'forbidden', `Forbidden: tools/call needs the permission ${missing} in ${tenant.tenantName}`);
    }

    const key = `${tenant.tenantId}/${slug}`;
    let server = servers.get(key);
    try {
      if (!server) {
        server = await findPassThroughServer(deps.db.orm.em.fork(), deps.registry, tenant, slug);
        servers.set(key, server);
      }
      calls.server = server;
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return refuse(404, 'not_found', error.message);
      if (error instanceof UnreadableSecretError) return refuse(502, 'upstream_refused', `The MCP server "${slug}": ${error.message}`);
      throw error;
    }

    const presented = req.headers['mcp-session-id'];
    if (Array.isArray(presented)) return refuse(400, 'bad_request', 'One Mcp-Session-Id header, please');
    const owner = { userId: caller.userId, credential: caller.credential.kind };
    if (presented !== undefined) {
      const check = await checkSession(deps.cache, server.id, presented, owner);
      // Another user's session and a session MREG does not know answer alike: the client opens a new one.
      if (check !== 'owner') return refuse(404, 'session_refused', `Session not found on the MCP server "${slug}"; start a new session`, -32001);
    }
    // Without a session id (a stateless upstream, or an initialize), there is no session to guard.

    return forward(forwardDeps, res, {
      method,
      headers: req.headers,
      body,
      id,
      server,
      owner,
      sessionId: presented,
      stillAdmitted: () => stillAdmitted(req, caller, deps.authenticate),
    });
  };

  return (req, res, next) => {
    // Only /mcp/<slug> itself; anything below it is the app's 404.
    if (req.path !== '/') return next();
    res.locals[METRICS_ROUTE] = PASS_THROUGH_ROUTE;
    const started = performance.now();
    const calls: Calls = { tools: [], server: undefined };
    const record = (outcome: PassThroughOutcome) => {
      deps.metrics.passThrough(req.method, outcome);
      if (calls.tools.length === 0) return;
      const caller = callerOf(res);
      const durationMs = Math.round(performance.now() - started);
      for (const tool of calls.tools) {
        deps.toolCalls.record({
          at: new Date(),
          userId: caller.userId,
          tenantId: caller.tenant.tenantId,
          credential: caller.credential,
          serverId: calls.server?.id ?? null,
          serverSlug: calls.server?.slug ?? String(req.params.slug ?? '').slice(0, 16),
          tool,
          outcome: TOOL_CALL_OUTCOMES[outcome],
          reason: outcome === 'forwarded' ? null : outcome === 'forbidden' ? 'missing_permission' : outcome,
          durationMs,
          via: 'pass-through',
        });
      }
    };
    handle(req, res, calls).then(record, (error: unknown) => {
      record('error');
      next(error);
    });
  };
}
