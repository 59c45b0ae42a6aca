import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { isLoopbackHost } from '../lib/loopback';

/**
 * DNS rebinding protection for /mcp and /mcp/<slug> (the MCP transport spec's "validate Origin"):
 * the Host a request names (X-Forwarded-Host behind a trusted proxy: Express's `req.host`) must be
 * MREG's public host, and an Origin, when sent, its public origin. A public URL on loopback takes
 * any loopback name (127.0.0.0/8, localhost, [::1]) on any port, as the MCP SDK's own localhost
 * protection does: a rebinding attack carries the attacker's own name, never a loopback one, and a
 * local proxy in front of MREG (another port) keeps working.
 */

/** The host (and port) as the URL parser reads it for the public URL's scheme, or undefined when it is not one. */
function parseHost(protocol: string, host: string): URL | undefined {
  if (!host || /[/?#@\s\\]/.test(host)) return undefined;
  return URL.canParse(`${protocol}//${host}`) ? new URL(`${protocol}//${host}`) : undefined;
}

/** Why a Host and Origin are not this MREG's, or null when they are. */
export function hostRefusal(publicUrl: URL, host: string | undefined, origin: string | undefined): string | null {
  const loopback = isLoopbackHost(publicUrl.hostname);
  const ours = loopback ? `${publicUrl.host} or another loopback name` : publicUrl.host;
  const parsed = host === undefined ? undefined : parseHost(publicUrl.protocol, host);
  const hostOk = parsed !== undefined && (loopback ? isLoopbackHost(parsed.hostname) : parsed.host === publicUrl.host);
  if (!hostOk) return `Invalid Host: ${JSON.stringify(host ?? '')} is not this MREG's (${ours})`;
  if (origin === undefined) return null;
  const from = URL.canParse(origin) ? new URL(origin) : undefined;
  const originOk =
    from !== undefined && from.origin !== 'null' && (loopback ? from.protocol === publicUrl.protocol && isLoopbackHost(from.hostname) : from.origin === publicUrl.origin);
  if (!originOk) return `Invalid Origin: ${JSON.stringify(origin)} is not this MREG's (${loopback ? `${publicUrl.origin} or another loopback origin` : publicUrl.origin})`;
  return null;
}

/** Why this request's Host or Origin is not MREG's, or null. */
export function mcpHostRefusal(req: Request, publicUrl: URL): string | null {
  return hostRefusal(publicUrl, req.host, req.get('origin'));
}

/** A JSON-RPC error answer with no request id, as MCP transports answer refusals made before any message is read. */
export function jsonRpcRefusal(res: ServerResponse, status: number, message: string, id: string | number | null = null, code = -32000): void {
  // Once a stream has begun, there is no status left to answer with: it is cut instead.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Refuses (403, a JSON-RPC error) an MCP request whose Host or Origin is not MREG's. */
export function mcpHostCheck(publicUrl: URL): RequestHandler {
  return (req, res, next) => {
    const refusal = mcpHostRefusal(req, publicUrl);
    if (!refusal) return next();
    jsonRpcRefusal(res, 403, refusal);
  };
}
