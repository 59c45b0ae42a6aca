import { SLUG_PATTERN, type OAuthResource } from '@mreg/shared';

/**
 * The MCP resources a token may be bound to (RFC 8707): `<public URL>/mcp`, all the tenant's servers
 * as one, or `<public URL>/mcp/<slug>`, one server. Compared as exact strings, as a client copies
 * them from the protected-resource metadata.
 */

/** The resource named by `url`, or null when it is none of MREG's. */
export function parseResource(url: string, publicUrl: URL): OAuthResource | null {
  const base = `${publicUrl.origin}/mcp`;
  if (url === base) return { url, slug: null };
  if (!url.startsWith(`${base}/`)) return null;
  const slug = url.slice(base.length + 1);
  return SLUG_PATTERN.test(slug) ? { url, slug } : null;
}

/** The resource a request to /mcp or /mcp/<slug>/... is for (`path`: the path under /mcp); /mcp's for a path that names no slug. */
export function resourceOfPath(path: string, publicUrl: URL): OAuthResource {
  const slug = /^\/([^/]+)/.exec(path)?.[1];
  return slug && SLUG_PATTERN.test(slug) ? { url: `${publicUrl.origin}/mcp/${slug}`, slug } : { url: `${publicUrl.origin}/mcp`, slug: null };
}

/** Where a resource's protected-resource metadata is (RFC 9728, path-based). */
export function resourceMetadataUrl(resource: OAuthResource, publicUrl: URL): string {
  return `${publicUrl.origin}/.well-known/oauth-protected-resource/mcp${resource.slug === null ? '' : `/${resource.slug}`}`;
}
