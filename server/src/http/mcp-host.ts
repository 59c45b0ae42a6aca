import type { Request } from 'express';
import { isLoopbackHost } from '../lib/loopback';

/**
 * DNS rebinding protection for /mcp and /mcp/<slug> (the MCP transport spec's "validate Origin"):
 * the Host a request names (X-Forwarded-Host behind a trusted proxy) must be MREG's public host, and
 * an Origin, when sent, its public origin. A public URL on loopback also takes the other loopback
 * names for it on the same port (127.0.0.1, localhost, [::1]), never another name. Answers why a
 * request is refused, or null.
 */
export function mcpHostRefusal(req: Request, publicUrl: URL): string | null {
  const host = req.host;
  if (!sameSite(host, publicUrl)) return `Host ${JSON.stringify(host ?? '')} is not this MREG's (${publicUrl.host})`;
  const origin = req.get('origin');
  if (origin === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `Origin ${JSON.stringify(origin)} is not an origin`;
  }
  if (parsed.protocol !== publicUrl.protocol || !sameSite(parsed.host, publicUrl)) return `Origin ${JSON.stringify(origin)} is not this MREG's (${publicUrl.origin})`;
  return null;
}

function sameSite(host: string | undefined, publicUrl: URL): boolean {
  if (!host) return false;
  if (host.toLowerCase() === publicUrl.host) return true;
  if (!isLoopbackHost(publicUrl.hostname)) return false;
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    return false;
  }
  const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
  return isLoopbackHost(url.hostname) && (url.port || '80') === port(publicUrl);
}
