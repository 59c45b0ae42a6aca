import { z } from 'zod';

/**
 * How /mcp names a tenant's servers' tools and prompts (issue 19): `<slug>__<name>`, at most 64
 * characters, which is what MCP clients accept; a longer name is left out (never truncated, which
 * could make two tools one) and reported on the server's page. Slugs hold no underscore, so the
 * first `__` always ends the slug. Resources keep their URIs behind `mreg://<slug>/`.
 */
export const GATEWAY_NAME_MAX_LENGTH = 64;
export const GATEWAY_SEPARATOR = '__';
export const GATEWAY_URI_SCHEME = 'mreg:';

export const gatewayName = (slug: string, name: string) => `${slug}${GATEWAY_SEPARATOR}${name}`;

/** The slug and upstream name of a gateway name, or null when it is not one. */
export function splitGatewayName(name: string): { slug: string; name: string } | null {
  const at = name.indexOf(GATEWAY_SEPARATOR);
  if (at <= 0) return null;
  return { slug: name.slice(0, at), name: name.slice(at + GATEWAY_SEPARATOR.length) };
}

/** A resource's URI (or a template's) as /mcp shows it: the upstream's whole, behind the server's slug. */
export const gatewayUri = (slug: string, uri: string) => `${GATEWAY_URI_SCHEME}//${slug}/${uri}`;

/** The slug and upstream URI of a gateway URI, or null when it is not one. */
export function splitGatewayUri(uri: string): { slug: string; uri: string } | null {
  const prefix = `${GATEWAY_URI_SCHEME}//`;
  if (!uri.startsWith(prefix)) return null;
  const at = uri.indexOf('/', prefix.length);
  if (at <= prefix.length) return null;
  return { slug: uri.slice(prefix.length, at), uri: uri.slice(at + 1) };
}

export const ZGatewayOmission = z.object({
  kind: z.enum(['tool', 'prompt']),
  /** The upstream's name. */
  name: z.string(),
  /** What /mcp would have called it. */
  gatewayName: z.string(),
});
export type GatewayOmission = z.infer<typeof ZGatewayOmission>;

/** The tools and prompts of a server that /mcp leaves out, their names being too long once prefixed. */
export function gatewayOmissions(slug: string, catalogue: { tools: { name: string }[]; prompts: { name: string }[] }): GatewayOmission[] {
  const omitted: GatewayOmission[] = [];
  for (const [kind, items] of [['tool', catalogue.tools], ['prompt', catalogue.prompts]] as const) {
    for (const { name } of items) {
      const full = gatewayName(slug, name);
      if (full.length > GATEWAY_NAME_MAX_LENGTH) omitted.push({ kind, name, gatewayName: full });
    }
  }
  return omitted;
}
