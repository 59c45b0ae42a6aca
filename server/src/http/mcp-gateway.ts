import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import {
  CallToolRequestSchema,
  CancelledNotificationSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { splitGatewayName, splitGatewayUri } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import type { McpOutcome, Metrics } from '../metrics/metrics';
import type { BearerCaller } from '../modules/apikeys/caller';
import type { KeyCheck } from '../modules/apikeys/apikeys.service';
import { callKey, type Cancellations } from '../modules/gateway/cancellation';
import { GatewayError } from '../modules/gateway/errors';
import { missingPermission } from '../modules/gateway/permissions';
import type { ToolCallRecorder } from '../modules/gateway/tool-calls';
import type { Upstreams } from '../modules/gateway/upstreams';
import { VIEW_FRESH_MS, type GatewayServer, type GatewayView, type GatewayViews, type Route } from '../modules/gateway/view';
import { callerOf, stillAdmitted, watchAdmission } from './bearer';
import { jsonRpcRefusal } from './mcp-host';

/**
 * `/mcp`: a tenant's registered servers as one MCP server over Streamable HTTP (issue 19, DESIGN.md
 * "The MCP part"), for the caller that requireBearer admitted. Every POST is served by a fresh SDK
 * server on a stateless transport, from the tenant's view (modules/gateway/view.ts) and the shared
 * upstream connections (upstreams.ts), so any instance answers any request: the Mcp-Session-Id
 * MREG hands out at initialize is kept in the shared cache, bound to the credential, and only
 * carries the GET stream (list_changed) and cancellation; nothing else depends on it.
 */

export interface GatewayDeps {
  cache: Cache;
  /** requireBearer's check, run again now and then for a stream that stays open. */
  authenticate(token: string): Promise<KeyCheck>;
  logger: Logger;
  metrics: Pick<Metrics, 'mcpRequest' | 'toolCall'>;
  views: GatewayViews;
  upstreams: Upstreams;
  cancellations: Cancellations;
  toolCalls: ToolCallRecorder;
}

/** Largest POST body on /mcp. */
export const MCP_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A gateway session lives this long after initialize; then the client initializes again (404). */
const SESSION_TTL_SECONDS = 24 * 3600;
/** How often an open GET stream looks for list changes, and sends a keep-alive comment. */
const WATCH_MS = 2 * VIEW_FRESH_MS;
const KEEPALIVE_MS = 25_000;
/** How long this process trusts a session it found to be the caller's. */
const SESSION_CONFIRMED_MS = 60_000;

const sessionKey = (id: string) => `mcp-gateway-session:${createHash('sha256').update(id).digest('hex')}`;

interface SessionRecord {
  credentialId: string;
  userId: string;
  tenantId: string;
}

/** A JSON-RPC error as a plain HTTP answer (no request to answer it on: refusals before MCP). */
function refuse(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  jsonRpcRefusal(res.set(headers), status, message, null, code);
}

/** A method the caller's role does not allow (counted as refused). */
/** A call MREG refuses before it reaches a server, with the reason the audit log keeps. */
class Refused extends GatewayError {
  constructor(
    code: number,
    message: string,
    readonly reason: 'missing_permission' | 'unknown_tool' | 'unknown_server' | 'server_disabled' | 'server_unavailable',
  ) {
    super(code, message);
  }
}

function requireAllowed(caller: BearerCaller, method: string): void {
  const needed = missingPermission(caller.tenant, [method]);
  if (needed) {
    throw new Refused(
      ErrorCode.InvalidRequest,
      `${method} needs the permission ${needed} in ${caller.tenant.tenantName}, which your role there (${caller.tenant.role}) does not give`,
      'missing_permission',
    );
  }
}

function unavailable(server: GatewayServer | undefined, slug: string, tenantName: string): GatewayError {
  if (!server) return new Refused(ErrorCode.InvalidParams, `There is no server ${slug} in ${tenantName} (it may have been removed)`, 'unknown_server');
  if (!server.enabled) return new Refused(ErrorCode.InvalidParams, `The server ${slug} is disabled in ${tenantName}`, 'server_disabled');
  const why = server.lastError ? `: ${server.lastError}` : '';
  return new Refused(
    ErrorCode.InternalError,
    `The server ${slug} is ${server.status === 'unhealthy' ? 'unhealthy' : 'not checked yet'}${why}; try again later`,
    'server_unavailable',
  );
}

/** What the caller's tenant currently serves, and the route of one gateway name in it. */
function routeOf(view: GatewayView, routes: GatewayView['toolRoutes'], name: string, kind: string, tenantName: string) {
  const route = routes.get(name);
  if (route) return route;
  const slug = name.includes('__') ? name.slice(0, name.indexOf('__')) : '';
  const server = view.servers.get(slug);
  if (slug && (!server || !server.enabled || server.status !== 'healthy')) throw unavailable(server, slug, tenantName);
  throw new Refused(ErrorCode.InvalidParams, `There is no ${kind} ${name} in ${tenantName}`, 'unknown_tool');
}

const outcomeOf = (error: unknown): McpOutcome => {
  if (error instanceof GatewayError && error.code === ErrorCode.RequestTimeout) return 'timeout';
  if (error instanceof Refused) return 'refused';
  return 'error';
};

export function mcpGatewayRoutes(deps: GatewayDeps): Router {
  const { cache, views, upstreams, cancellations, metrics, toolCalls } = deps;
  const log = deps.logger.child({ component: 'gateway' });
  const router = Router();
  // The SDK builds an Ajv instance per server unless given one (hundreds of microseconds a request).
  const jsonSchemaValidator = new AjvJsonSchemaValidator();

  /** The MCP server for one request of `caller`, from the tenant's view as it is now. */
  const serverFor = (caller: BearerCaller, view: GatewayView, sessionId: string | undefined, request: { signal: AbortSignal }) => {
    const tenant = caller.tenant;
    const served = [...view.servers.values()].filter((server) => server.enabled && server.status === 'healthy');
    const server = new Server(
      { name: 'mreg', title: `MREG: ${tenant.tenantName}`, version: '0.1.0' },
      {
        capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } },
        jsonSchemaValidator,
        instructions: `The MCP servers of ${tenant.tenantName} registered in MREG, as one server: each tool and prompt is named <server>__<name>. Servers: ${served.map((s) => `${s.slug} (${s.name})`).join(', ') || 'none yet'}.`,
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => {
      requireAllowed(caller, 'tools/list');
      return { tools: [...view.tools] };
    });
    server.setRequestHandler(ListPromptsRequestSchema, () => {
      requireAllowed(caller, 'prompts/list');
      return { prompts: [...view.prompts] };
    });
    server.setRequestHandler(ListResourcesRequestSchema, () => {
      requireAllowed(caller, 'resources/list');
      return { resources: [...view.resources] };
    });
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => {
      requireAllowed(caller, 'resources/templates/list');
      return { resourceTemplates: [...view.resourceTemplates] };
    });

    /** One request routed upstream, bounded by the caller's cancellation wherever it comes from. */
    const forward = async (
      target: GatewayServer,
      method: string,
      params: Record<string, unknown>,
      extra: { requestId: string | number; signal: AbortSignal; _meta?: { progressToken?: string | number }; sendNotification: (n: never) => Promise<void> },
      controller = new AbortController(),
    ) => {
      const abort = () => controller.abort(extra.signal.reason ?? request.signal.reason);
      extra.signal.addEventListener('abort', abort, { once: true });
      request.signal.addEventListener('abort', abort, { once: true });
      // Gone already (while the view was read, say): not worth starting.
      if (extra.signal.aborted || request.signal.aborted) abort();
      const untrack = cancellations.track(callKey(caller.credential.id, sessionId, extra.requestId), controller);
      const progressToken = extra._meta?.progressToken;
      try {
        return await upstreams.request(target, method, params, {
          signal: controller.signal,
          onprogress:
            progressToken === undefined
              ? undefined
              : (progress) => void extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken } } as never).catch(() => undefined),
        });
      } finally {
        untrack();
        extra.signal.removeEventListener('abort', abort);
        request.signal.removeEventListener('abort', abort);
      }
    };

    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const started = performance.now();
      const cancelled = new AbortController();
      let route: Route | undefined;
      let outcome: McpOutcome = 'ok';
      let reason: string | null = null;
      try {
        requireAllowed(caller, 'tools/call');
        route = routeOf(view, view.toolRoutes, request.params.name, 'tool', tenant.tenantName);
        const result = await forward(route.server, 'tools/call', { ...request.params, name: route.name }, extra as never, cancelled);
        // The tool ran and said it failed: an error for the records, answered as it came.
        if ((result as { isError?: unknown }).isError === true) outcome = 'error';
        return result;
      } catch (error) {
        outcome = cancelled.signal.aborted ? 'cancelled' : outcomeOf(error);
        if (error instanceof Refused) reason = error.reason;
        throw error;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        if (route) metrics.toolCall(route.server.id, outcome, seconds);
        const named = splitGatewayName(request.params.name);
        // A tool the server does not have is still a call to that server.
        const server = route?.server ?? (named ? view.servers.get(named.slug) : undefined);
        toolCalls.record({
          at: new Date(),
          userId: caller.userId,
          tenantId: tenant.tenantId,
          credential: caller.credential,
          serverId: server?.id ?? null,
          serverSlug: server?.slug ?? named?.slug.slice(0, 16) ?? null,
          // A name that routes nowhere is the client's: kept short in the record.
          tool: route?.name ?? (named?.name ?? request.params.name).slice(0, 200),
          outcome,
          reason,
          durationMs: Math.round(seconds * 1000),
        });
      }
    });
    server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
      requireAllowed(caller, 'prompts/get');
      const route = routeOf(view, view.promptRoutes, request.params.name, 'prompt', tenant.tenantName);
      return forward(route.server, 'prompts/get', { ...request.params, name: route.name }, extra as never) as never;
    });
    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      requireAllowed(caller, 'resources/read');
      const target = splitGatewayUri(request.params.uri);
      const server = target && view.servers.get(target.slug);
      if (!target || !server || !server.enabled || server.status !== 'healthy') {
        throw target ? unavailable(server ?? undefined, target.slug, tenant.tenantName) : new GatewayError(ErrorCode.InvalidParams, `${request.params.uri} is not a resource of MREG (they start with mreg://<server>/)`);
      }
      return forward(server, 'resources/read', { ...request.params, uri: target.uri }, extra as never) as never;
    });
    // The client's notifications/cancelled comes on a POST of its own, to any instance.
    server.setNotificationHandler(CancelledNotificationSchema, async (notification) => {
      const { requestId, reason } = notification.params;
      if (requestId !== undefined) await cancellations.cancel(callKey(caller.credential.id, sessionId, requestId), reason ?? 'Cancelled by the client');
    });
    return server;
  };

  // Sessions this process found to be their key's lately: a key stays its session's, and nothing
  // but the event stream and cancellation hangs on a session, so a confirmation may outlive a DELETE
  // elsewhere by a minute without harm.
  const confirmed = new LRUCache<string, { credentialId: string; at: number }>({ max: 10_000 });
  /** The caller's gateway session named by Mcp-Session-Id: undefined without one; null when unknown or another's. */
  const sessionOf = async (req: Request, caller: BearerCaller): Promise<string | undefined | null> => {
    const id = req.get('mcp-session-id');
    if (id === undefined) return undefined;
    if (!/^[\x21-\x7e]{1,256}$/.test(id)) return null;
    const seen = confirmed.get(id);
    if (seen && seen.credentialId === caller.credential.id && Date.now() - seen.at < SESSION_CONFIRMED_MS) return id;
    const record = await cache.get<SessionRecord>(sessionKey(id));
    if (!record || record.credentialId !== caller.credential.id || record.tenantId !== caller.tenant.tenantId) return null;
    confirmed.set(id, { credentialId: record.credentialId, at: Date.now() });
    return id;
  };
  const noSession = (res: Response) => refuse(res, 404, -32001, 'Session not found: initialize again');

  router.post('/', express.json({ limit: MCP_MAX_BODY_BYTES, type: () => true }), async (req, res) => {
    const caller = callerOf(res);
    const session = await sessionOf(req, caller);
    if (session === null) return noSession(res);
    const messages = (Array.isArray(req.body) ? req.body : [req.body]) as JSONRPCMessage[];
    const methods = messages.map((message) => (message && typeof message === 'object' && 'method' in message && typeof message.method === 'string' ? message.method : 'response'));
    const initializing = methods.includes('initialize');
    // Progress needs an event stream to come on; any other answer is plain JSON.
    const streams = messages.some((message) => message && typeof message === 'object' && 'params' in message && (message.params as { _meta?: { progressToken?: unknown } })?._meta?.progressToken !== undefined);

    const view = await views.of(caller.tenant.tenantId);
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort(new Error('The client went away'));
    });
    let sessionId = session;
    if (initializing && sessionId === undefined) {
      const id = randomBytes(32).toString('base64url');
      // Handed out only once stored: an id no instance could find would answer 404 at every use.
      // Without it the client goes on statelessly (everything but the event stream works so).
      if (await cache.add(sessionKey(id), { credentialId: caller.credential.id, userId: caller.userId, tenantId: caller.tenant.tenantId } satisfies SessionRecord, SESSION_TTL_SECONDS)) {
        sessionId = id;
        res.setHeader('mcp-session-id', id);
      }
    }
    const server = serverFor(caller, view, sessionId, { signal: aborted.signal });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !streams });
    res.on('close', () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    let failed = false;
    transport.onerror = () => {
      failed = true;
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    for (const method of methods) if (method !== 'response') metrics.mcpRequest(method, failed || res.statusCode >= 400 ? 'error' : 'ok');
  });

  // The standing stream: list_changed notifications when the tenant's servers change.
  router.get('/', async (req, res) => {
    const caller = callerOf(res);
    const session = await sessionOf(req, caller);
    if (session === null) return noSession(res);
    if (session === undefined) return refuse(res, 405, ErrorCode.InvalidRequest, 'Open the event stream with the Mcp-Session-Id that initialize answered', { allow: 'POST, DELETE' });
    if (!req.accepts('text/event-stream')) return refuse(res, 406, ErrorCode.InvalidRequest, 'The event stream needs Accept: text/event-stream');
    let last = (await views.of(caller.tenant.tenantId)).fingerprint;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'mcp-session-id': session });
    res.flushHeaders();
    const send = (method: string) => res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method })}\n\n`);
    let quietFor = 0;
    // The key is checked again, as each request's is: revoked, expired or its owner gone, the stream ends.
    const admission = watchAdmission(() => stillAdmitted(req, caller, deps.authenticate), () => res.end());
    res.on('close', () => admission.stop());
    const watch = setInterval(() => {
      quietFor += WATCH_MS;
      views
        .of(caller.tenant.tenantId)
        .then((view) => {
          if (view.fingerprint !== last) {
            last = view.fingerprint;
            quietFor = 0;
            send('notifications/tools/list_changed');
            send('notifications/prompts/list_changed');
            send('notifications/resources/list_changed');
          } else if (quietFor >= KEEPALIVE_MS) {
            quietFor = 0;
            res.write(': keep-alive\n\n');
          }
        })
        .catch((error: unknown) => log.warn({ err: error }, 'Could not look for list changes for an open /mcp stream'));
    }, WATCH_MS);
    res.on('close', () => clearInterval(watch));
  });

  router.delete('/', async (req, res) => {
    const caller = callerOf(res);
    const session = await sessionOf(req, caller);
    if (!session) return noSession(res);
    confirmed.delete(session);
    await cache.delete(sessionKey(session));
    res.status(200).end();
  });

  // A body that is not JSON, or too large: the JSON-RPC error, as the transport would answer it.
  router.use(((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error?.type === 'entity.too.large') return refuse(res, 413, ErrorCode.InvalidRequest, `The request body is larger than ${MCP_MAX_BODY_BYTES} bytes`);
    if (error?.type === 'entity.parse.failed') return refuse(res, 400, ErrorCode.ParseError, 'Parse error: the body is not valid JSON');
    next(error);
  }) as ErrorRequestHandler);

  router.all('/', (req, res) => refuse(res, 405, ErrorCode.InvalidRequest, `${req.method} is not an MCP Streamable HTTP method`, { allow: 'POST, GET, DELETE' }));
  return router;
}
