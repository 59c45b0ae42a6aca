import type { Request, RequestHandler, Response } from 'express';
import { isLoopbackHost } from '../lib/loopback';

/**
 * DNS-rebinding protection for MCP requests (/mcp and /mcp/<slug>; the MCP transport spec's
 * security warning): the Host must be MREG's public host, and an Origin, when sent, its public
 * origin. A loopback public URL (development, tests, a local MREG) accepts any loopback host and
 * origin, whatever the port, as the MCP SDK's own localhost protection does: a page on another
 * site cannot make a browser send a loopback Host, which is what a rebinding attack needs.
 */

/** A JSON-RPC error answer with no request id, as MCP transports answer refusals made before any message is read. */
export function jsonRpcRefusal(res: Response, status: number, message: string, id: string | number | null = null, code = -32000): void {
  res.set('Cache-Control', 'no-store');
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id });
}

/** The host (and port, when not the scheme's) as the URL parser writes it, or undefined when it is not one. */
function parseHost(protocol: string, host: string): URL | undefined {
  if (!host || /[/?#@\s\\]/.test(host)) return undefined;
  return URL.canParse(`${protocol}//${host}`) ? new URL(`${protocol}//${host}`) : undefined;
}

/** Why this request's Host or Origin is not MREG's, or undefined when both are. */
export function hostRefusal(publicUrl: URL, host: string | undefined, origin: string | undefined): string | undefined {
  const loopback = isLoopbackHost(publicUrl.hostname);
  const parsed = host === undefined ? undefined : parseHost(publicUrl.protocol, host);
  const hostOk = parsed !== undefined && (loopback ? isLoopbackHost(parsed.hostname) : parsed.host === publicUrl.host);
  if (!hostOk) return `Invalid Host: ${JSON.stringify(host ?? '')} is not ${loopback ? 'a loopback host' : publicUrl.host}`;
  if (origin === undefined) return undefined;
  const from = URL.canParse(origin) ? new URL(origin) : undefined;
  const originOk = from !== undefined && from.origin !== 'null' && (loopback ? isLoopbackHost(from.hostname) && from.protocol === publicUrl.protocol : from.origin === publicUrl.origin);
  if (!originOk) return `Invalid Origin: ${JSON.stringify(origin)} is not ${loopback ? 'a loopback origin' : publicUrl.origin}`;
  return undefined;
}

/**
 * Refuses (403, a JSON-RPC error) an MCP request whose Host or Origin is not MREG's. Express's
 * `req.host` is the Host header, or X-Forwarded-Host behind MREG_TRUST_PROXY proxies.
 */
export function mcpHostCheck(publicUrl: URL): RequestHandler {
  return (req: Request, res: Response, next) => {
    const refusal = hostRefusal(publicUrl, req.host, req.headers.origin);
    if (!refusal) return next();
    jsonRpcRefusal(res, 403, refusal);
  };
}
