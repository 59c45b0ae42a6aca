import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, type Implementation, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { findUpstreamError, openExchange, secretsOf, type Exchange, type ExchangeOptions } from './fetch';
import type { UpstreamPolicy, UpstreamTarget } from './policy';
import { urlRefusal } from './ssrf';
import { formatDuration, hostPort, quote, redact, UpstreamError } from './words';

/** MREG as an MCP client introduces itself so. */
const CLIENT_INFO = { name: 'mreg', title: 'MREG, the MCP Registry Gateway', version: '0.1.0' };
/** A polite DELETE of the upstream session on the way out waits at most this long. */
const END_SESSION_MS = 2000;

/** An initialized MCP session with an upstream, over one exchange (fetch.ts). */
export interface Session {
  readonly exchange: Exchange;
  readonly client: Client;
  readonly serverInfo: Implementation;
  readonly protocolVersion: string;
  readonly capabilities: ServerCapabilities;
  readonly instructions: string | undefined;
  /**
   * One MCP request with the policy's timeout; any failure is an UpstreamError in words, and ends
   * the session's other requests. With `unknownMethodAsUndefined`, the server's "method not found"
   * answers undefined instead.
   */
  request<S extends z.ZodType>(method: string, params: Record<string, unknown> | undefined, schema: S): Promise<z.infer<S>>;
  request<S extends z.ZodType>(method: string, params: Record<string, unknown> | undefined, schema: S, options: { unknownMethodAsUndefined: boolean }): Promise<z.infer<S> | undefined>;
  /** Ends the upstream session (DELETE, briefly, unless something failed) and every connection. */
  close(): Promise<void>;
}

/** Connects and initializes; throws an UpstreamError in words. */
export async function openSession(target: UpstreamTarget, policy: UpstreamPolicy, options: ExchangeOptions & { signal?: AbortSignal } = {}): Promise<Session> {
  const refusal = urlRefusal(target.url, policy);
  if (refusal) throw new UpstreamError(refusal);
  // Stored credentials passed ZServerAuthInput; this keeps a bad one from reaching a header error message.
  if (!secretsOf(target.auth).every((secret) => /^[\x20-\x7e]+$/.test(secret))) {
    throw new UpstreamError("the server's credential holds characters an HTTP header cannot carry");
  }
  options.signal?.throwIfAborted();
  const exchange = openExchange(target, policy, options);
  // An outer bound (discover's): its reason, in words, becomes the exchange's problem.
  options.signal?.addEventListener('abort', () => exchange.fail(options.signal!.reason as UpstreamError), { once: true });
  const transport = new StreamableHTTPClientTransport(exchange.url, {
    fetch: exchange.fetch,
    // MREG's watcher reconnects on its own, with a fresh session.
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
  });
  // The client sends one request at a time (discover, ping, a watcher's liveness ping): once an
  // answer arrived, the stream it came on has nothing more for MREG. Client.connect chains this.
  transport.onmessage = (message) => {
    if ('id' in message && ('result' in message || 'error' in message)) exchange.endAnswers();
  };
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  // The SDK reports stream and parse problems here; MREG answers in its own words instead.
  client.onerror = () => undefined;
  const requestOptions = { timeout: policy.requestTimeoutMs, signal: exchange.signal };
  /** Keeps the failure as the exchange's problem (which ends its other requests) and answers it, redacted. */
  const record = (error: unknown, step: string): UpstreamError => {
    exchange.fail(error instanceof UpstreamError ? error : new UpstreamError(describeFailure(error, { exchange, target, policy, step })));
    return new UpstreamError(redact(exchange.problem!.message, exchange.secrets));
  };
  const close = async () => {
    if (!exchange.problem) {
      let timer: NodeJS.Timeout | undefined;
      const pause = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(policy.requestTimeoutMs, END_SESSION_MS))));
      await Promise.race([transport.terminateSession().catch(() => undefined), pause]);
      clearTimeout(timer);
    }
    await client.close().catch(() => undefined);
    await exchange.destroy();
  };

  try {
    await client.connect(transport, requestOptions);
  } catch (error) {
    const problem = record(error, 'initialize');
    await close();
    throw problem;
  }
  return {
    exchange,
    client,
    serverInfo: client.getServerVersion()!,
    protocolVersion: transport.protocolVersion ?? 'unknown',
    capabilities: client.getServerCapabilities() ?? {},
    instructions: client.getInstructions(),
    async request<S extends z.ZodType>(method: string, params: Record<string, unknown> | undefined, schema: S, how?: { unknownMethodAsUndefined: boolean }) {
      try {
        return await client.request({ method, ...(params ? { params } : {}) }, schema, requestOptions);
      } catch (error) {
        if (how?.unknownMethodAsUndefined && error instanceof McpError && error.code === ErrorCode.MethodNotFound && !exchange.problem) return undefined;
        throw record(error, method);
      }
    },
    close,
  };
}

interface FailureContext {
  exchange: Exchange;
  target: UpstreamTarget;
  policy: UpstreamPolicy;
  /** The MCP method under way: initialize, tools/list... */
  step: string;
}

/** Why a step failed, in words a tenant admin understands; never the upstream's credential. */
export function describeFailure(error: unknown, context: FailureContext): string {
  const words = failureWords(error, context);
  return redact(words, context.exchange.secrets);
}

function failureWords(error: unknown, { exchange, target, policy, step }: FailureContext): string {
  if (exchange.problem) return exchange.problem.message;
  const refusal = findUpstreamError(error);
  if (refusal) return refusal.message;
  const to = step === 'initialize' ? '' : ` to ${step}`;
  if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0) return statusWords(error.code, target, to, step);
  if (error instanceof StreamableHTTPError && /Unexpected content type: (.*)$/.test(error.message)) {
    const type = /Unexpected content type: (.*)$/.exec(error.message)![1]!;
    return `the server answered${to} with ${quote(type, exchange.secrets, 60)} content, not JSON or an event stream (is this an MCP Streamable HTTP URL?)`;
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return `no answer within ${formatDuration(policy.requestTimeoutMs)}${to}`;
    if (error.code === ErrorCode.ConnectionClosed) return `the server closed the connection${to}`;
    return `the server answered ${step} with error ${error.code}: ${quote(error.message.replace(/^MCP error -?\d+: /, ''), exchange.secrets)}`;
  }
  const code = errorCode(error);
  const network = code && networkWords(code, { url: exchange.url, connectTimeoutMs: policy.connectTimeoutMs, answerTimeoutMs: policy.requestTimeoutMs }, to, step);
  if (network) return network;
  if (error instanceof SyntaxError) return `the server's answer${to} is not valid JSON`;
  if (isZodError(error)) return `the server's answer to ${step} is not valid MCP`;
  const message = error instanceof Error ? error.message : String(error);
  const version = /protocol version is not supported: (.*)$/.exec(message);
  if (version) return `the server speaks MCP protocol version ${quote(version[1]!, exchange.secrets, 40)}, which MREG does not support`;
  return `${step} failed: ${quote(message, exchange.secrets)}`;
}

/**
 * A network failure (a Node or undici error code) in words, or undefined for a code it does not
 * know. `to` is " to <step>" or empty; the pass-through (modules/passthrough) uses it too.
 */
export function networkWords(code: string, bounds: { url: URL; connectTimeoutMs: number; answerTimeoutMs: number }, to: string, step: string): string | undefined {
  const where = hostPort(bounds.url);
  const host = bounds.url.hostname;
  if (code === 'ECONNREFUSED') return `connection refused at ${where}`;
  if (code === 'ENOTFOUND') return `${host} was not found (DNS)`;
  if (code === 'EAI_AGAIN') return `${host} could not be resolved just now (DNS); try again`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `no connection within ${formatDuration(bounds.connectTimeoutMs)} to ${where}`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return `no answer within ${formatDuration(bounds.answerTimeoutMs)}${to}`;
  if (code === 'UND_ERR_BODY_TIMEOUT') return `the answer${to} stalled for ${formatDuration(bounds.answerTimeoutMs)}`;
  if (['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code)) return `the connection to ${where} was closed unexpectedly${to && ` during ${step}`}`;
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(code)) return `${where} is unreachable`;
  if (/^(CERT_|ERR_TLS_CERT|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(code)) return `the TLS certificate of ${host} was not accepted (${code})`;
  if (/^(ERR_SSL_|EPROTO)/.test(code)) return `the TLS handshake with ${where} failed (${code}; is it an https server?)`;
  if (/^HPE_|^UND_ERR_INFO/.test(code)) return `the server at ${where} did not answer in HTTP`;
  return undefined;
}

function statusWords(status: number, target: UpstreamTarget, to: string, step: string): string {
  const answered = `the server answered ${status}${to}`;
  if (status === 401) {
    return target.auth.kind === 'none'
      ? `${answered}: it needs credentials (check the server's authentication)`
      : `${answered}: it refused MREG's credentials (check the server's authentication)`;
  }
  if (status === 403) return `${answered}: access forbidden (check the server's authentication)`;
  if (status === 404) return step === 'initialize' ? `${answered}: nothing at this URL (check its path, e.g. /mcp)` : `${answered}: the session may have ended`;
  if (status === 405) return `${answered}: it takes no MCP requests at this URL`;
  if (status === 400 || status === 406 || status === 415) return `${answered}: it did not take the MCP request (is this an MCP Streamable HTTP URL?)`;
  if (status === 408) return `${answered}: it gave up waiting`;
  if (status === 429) return `${answered}: too many requests; try again later`;
  if (status >= 300 && status < 400) return `${answered}, a redirect MREG does not follow for an MCP request (save the URL it points to)`;
  if (status >= 500) return `${answered}, a server error`;
  return answered;
}

/** The first string `code` along an error's causes (undici's "fetch failed" wraps the socket's). */
export function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function isZodError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ZodError' || error.name === '$ZodError' || Array.isArray((error as { issues?: unknown }).issues));
}
