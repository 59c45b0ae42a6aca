import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type Progress, type Result } from '@modelcontextprotocol/sdk/types.js';
import { Response as UndiciResponse, type Agent } from 'undici';
import { z } from 'zod';
import { McpServer } from '../registry/registry.entity';
import { upstreamOf, UnreadableSecretError, type RegistryRuntime } from '../registry/registry.service';
import { urlRefusal } from '../registry/upstream';
import { credentialHeaders, findUpstreamError, guardedAgent, secretsOf, sendWithCredential } from '../registry/upstream/fetch';
import { formatBytes, formatDuration, hostPort, quote, redact, UpstreamError } from '../registry/upstream/words';
import { GatewayError } from './errors';
import type { GatewayServer } from './view';

/**
 * MREG's connections to the upstreams /mcp routes calls to: one MCP session per server and process,
 * opened on first use and shared by every caller (it carries the server's own credential, the same
 * for all of them), kept until the server changes (a new version), fails, or sits unused. Each call
 * is bounded on its own: the call timeout (reset by progress), the response size cap (the call
 * fails, not the session), and the caller's cancellation, which the SDK carries upstream as
 * notifications/cancelled.
 */

/** MREG as an MCP client introduces itself so. */
const CLIENT_INFO = { name: 'mreg-gateway', title: 'MREG, the MCP Registry Gateway', version: '0.1.0' };
/** Connections per upstream origin from this process. */
const CONNECTIONS_PER_UPSTREAM = 32;
/** Longest a call may run in all, however much progress it reports. */
export const MAX_CALL_MS = 30 * 60_000;
/** A session unused this long is closed. */
const IDLE_MS = 5 * 60_000;

/** Any result, passed through as the upstream sent it (no output-schema checks: MREG does not interpret it). */
const AnyResult = z.looseObject({}) as unknown as z.ZodType<Result>;

/** The caller cancelled the call (the upstream was told). */
class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** What a call through the gateway may carry. */
export interface CallOptions {
  signal: AbortSignal;
  onprogress?: (progress: Progress) => void;
}

export interface Upstreams {
  /** One request to the server's upstream, answered as it came; failures are McpErrors in words. */
  request(server: GatewayServer, method: string, params: Record<string, unknown> | undefined, options: CallOptions): Promise<Result>;
  close(): Promise<void>;
}

interface Pooled {
  version: number;
  client: Promise<Client>;
  agent: Agent;
  secrets: string[];
  url: URL;
  lastUsed: number;
  /** Calls under way on it: a session retired (its server changed, or idle) closes after the last. */
  calls: number;
  retired: boolean;
}

/** The call a fetch of the SDK's transport is made for (its size cap ends that call alone). */
const currentCall = new AsyncLocalStorage<{ fail(error: UpstreamError): void }>();

export interface UpstreamsOptions {
  em: EntityManager;
  registry: RegistryRuntime;
  callTimeoutMs: number;
}

export function gatewayUpstreams({ em, registry, callTimeoutMs }: UpstreamsOptions): Upstreams {
  const policy = registry.policy;
  const pool = new Map<string, Pooled>();

  const shut = (entry: Pooled) => {
    void entry.client.then((client) => client.close()).catch(() => undefined).finally(() => entry.agent.destroy().catch(() => undefined));
  };
  /**
   * Takes a session out of use: at once when it is broken or idle, else once its calls end (a
   * server saved again must not cut short the calls running on its old session).
   */
  const drop = (serverId: string, entry: Pooled, { broken = false } = {}) => {
    if (pool.get(serverId) === entry) pool.delete(serverId);
    if (entry.retired) return;
    entry.retired = true;
    if (broken || entry.calls === 0) shut(entry);
  };

  const open = (server: GatewayServer): Pooled => {
    const agent = guardedAgent(policy, { headersTimeoutMs: callTimeoutMs, bodyTimeoutMs: callTimeoutMs, connections: CONNECTIONS_PER_UPSTREAM });
    const entry: Pooled = { version: server.version, agent, secrets: [], url: new URL('http://invalid'), lastUsed: Date.now(), calls: 0, retired: false, client: undefined as never };
    entry.client = (async () => {
      const row = await em.fork().findOne(McpServer, { id: server.id });
      if (!row || !row.enabled) throw new GatewayError(ErrorCode.InvalidParams, `The server ${server.slug} was removed or disabled meanwhile`);
      let target;
      try {
        target = await upstreamOf(em.fork(), registry, row);
      } catch (error) {
        if (error instanceof UnreadableSecretError) throw new GatewayError(ErrorCode.InternalError, `The server ${server.slug}: ${error.message}`);
        throw error;
      }
      const refusal = urlRefusal(target.url, policy);
      if (refusal) throw new GatewayError(ErrorCode.InternalError, `The server ${server.slug} cannot be reached: ${refusal}`);
      entry.url = new URL(target.url);
      entry.secrets = secretsOf(target.auth);
      const credential = credentialHeaders(target.auth);
      const upstreamFetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
        const method = (init.method ?? 'GET').toUpperCase();
        // No standing GET stream: the gateway follows list changes through the registry's catalogues.
        if (method === 'GET') return new Response(null, { status: 405 });
        const requestUrl = new URL(input);
        if (requestUrl.origin !== entry.url.origin) throw new UpstreamError(`MREG asks only ${entry.url.origin}, not ${requestUrl.origin}`);
        const response = await sendWithCredential(requestUrl, method, init, credential, agent);
        const call = currentCall.getStore();
        const tooLarge = () => new UpstreamError(`the answer was larger than ${formatBytes(policy.maxResponseBytes)}`);
        if (Number(response.headers.get('content-length') ?? Number.NaN) > policy.maxResponseBytes) {
          await response.body?.cancel().catch(() => undefined);
          const error = tooLarge();
          call?.fail(error);
          throw error;
        }
        if (!response.body) return response as unknown as Response;
        return new UndiciResponse(countBytes(response.body as ReadableStream<Uint8Array>, policy.maxResponseBytes, () => {
          const error = tooLarge();
          call?.fail(error);
          return error;
        }) as unknown as ConstructorParameters<typeof UndiciResponse>[0], {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        }) as unknown as Response;
      };
      const transport = new StreamableHTTPClientTransport(entry.url, {
        fetch: upstreamFetch as FetchLike,
        reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
      });
      const client = new Client(CLIENT_INFO, { capabilities: {} });
      client.onerror = () => undefined;
      client.onclose = () => drop(server.id, entry, { broken: true });
      try {
        await client.connect(transport, { timeout: Math.min(callTimeoutMs, policy.requestTimeoutMs) });
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
      return client;
    })();
    // A failed connection is not kept: the next call tries again.
    entry.client.catch(() => drop(server.id, entry, { broken: true }));
    return entry;
  };

  const entryFor = (server: GatewayServer): Pooled => {
    const known = pool.get(server.id);
    if (known && known.version === server.version) return known;
    if (known) drop(server.id, known);
    const fresh = open(server);
    pool.set(server.id, fresh);
    return fresh;
  };

  const idle = setInterval(() => {
    const now = Date.now();
    for (const [id, entry] of pool) if (entry.calls === 0 && now - entry.lastUsed > IDLE_MS) drop(id, entry);
  }, IDLE_MS / 5);
  idle.unref();

  const once = async (entry: Pooled, method: string, params: Record<string, unknown> | undefined, options: CallOptions): Promise<Result> => {
    entry.lastUsed = Date.now();
    entry.calls += 1;
    try {
      return await callOn(entry, method, params, options);
    } finally {
      entry.calls -= 1;
      entry.lastUsed = Date.now();
      if (entry.retired && entry.calls === 0) shut(entry);
    }
  };

  const callOn = async (entry: Pooled, method: string, params: Record<string, unknown> | undefined, options: CallOptions): Promise<Result> => {
    const client = await entry.client;
    const call = new AbortController();
    const onAbort = () => call.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    // Why MREG ended the call itself (the SDK answers any abort as a timeout, the reason in words).
    let problem: UpstreamError | undefined;
    try {
      return await currentCall.run({ fail: (error) => call.abort((problem ??= error)) }, () =>
        client.request({ method, ...(params ? { params } : {}) } as never, AnyResult, {
          signal: call.signal,
          timeout: callTimeoutMs,
          resetTimeoutOnProgress: true,
          // Progress keeps a call alive, but not for ever.
          maxTotalTimeout: MAX_CALL_MS,
          // Always given, so that progress restarts the timeout; passed on when the caller asked for it.
          onprogress: (progress) => options.onprogress?.(progress),
        }),
      );
    } catch (error) {
      if (problem) throw problem;
      if (options.signal.aborted) throw new CancelledError();
      throw error;
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  };

  return {
    async request(server, method, params, options) {
      const started = entryFor(server);
      try {
        return await once(started, method, params, options);
      } catch (error) {
        // The upstream forgot MREG's session (it restarted): once more, on a new one.
        if (error instanceof StreamableHTTPError && error.code === 404 && !options.signal.aborted) {
          drop(server.id, started, { broken: true });
          try {
            return await once(entryFor(server), method, params, options);
          } catch (again) {
            throw inWords(again, server, pool.get(server.id) ?? started, callTimeoutMs);
          }
        }
        // A broken connection is not reused; an upstream's own error, a cancelled or too large call, leave it be.
        const answered = error instanceof McpError && error.code !== ErrorCode.ConnectionClosed;
        if (!answered && !findUpstreamError(error) && !options.signal.aborted) drop(server.id, started, { broken: true });
        throw inWords(error, server, started, callTimeoutMs);
      }
    },
    async close() {
      clearInterval(idle);
      const entries = [...pool.values()];
      pool.clear();
      await Promise.all(
        entries.map(async (entry) => {
          await entry.client.then((client) => client.close()).catch(() => undefined);
          await entry.agent.destroy().catch(() => undefined);
        }),
      );
    },
  };
}

/**
 * A failed upstream call as the MCP error the caller gets: the upstream's own JSON-RPC error as it
 * came (its code and words, credential redacted), anything else in MREG's words.
 */
function inWords(error: unknown, server: GatewayServer, entry: Pooled, callTimeoutMs: number): GatewayError {
  if (error instanceof GatewayError) return error;
  const secrets = entry.secrets;
  const from = `The server ${server.slug}`;
  const refusal = findUpstreamError(error);
  if (refusal) return new GatewayError(ErrorCode.InternalError, `${from}: ${redact(refusal.message, secrets)}`);
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return new GatewayError(ErrorCode.RequestTimeout, `${from} did not answer within ${formatDuration(callTimeoutMs)} (MREG_GATEWAY_CALL_TIMEOUT)`);
    if (error.code === ErrorCode.ConnectionClosed) return new GatewayError(ErrorCode.InternalError, `${from} closed the connection`);
    const message = redact(error.message.replace(/^MCP error -?\d+: /, ''), secrets);
    // Its data too may echo the credential: passed on redacted, or not at all.
    let data: unknown;
    try {
      data = error.data === undefined ? undefined : JSON.parse(redact(JSON.stringify(error.data), secrets));
    } catch {
      data = undefined;
    }
    return new GatewayError(error.code, message, data);
  }
  if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0) {
    return new GatewayError(ErrorCode.InternalError, `${from} answered HTTP ${error.code}`);
  }
  const code = (error as { cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
  const where = entry.url.hostname === 'invalid' ? server.slug : hostPort(entry.url);
  if (code === 'ECONNREFUSED') return new GatewayError(ErrorCode.InternalError, `${from} is not reachable: connection refused at ${where}`);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new GatewayError(ErrorCode.InternalError, `${from} is not reachable: no connection to ${where}`);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError(ErrorCode.RequestTimeout, `${from} did not answer within ${formatDuration(callTimeoutMs)} (MREG_GATEWAY_CALL_TIMEOUT)`);
  }
  if (error instanceof CancelledError || (error instanceof Error && error.name === 'AbortError')) return new GatewayError(ErrorCode.InternalError, `${from}: the call was cancelled`);
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(ErrorCode.InternalError, `${from} failed: ${quote(message, secrets)}`);
}

/** A body that errors once more than `limit` bytes came through, read on demand. */
function countBytes(body: ReadableStream<Uint8Array>, limit: number, tooLarge: () => Error): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let count = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (done) return controller.close();
          count += value.byteLength;
          if (count > limit) {
            const error = tooLarge();
            reader.cancel(error).catch(() => undefined);
            return controller.error(error);
          }
          controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
