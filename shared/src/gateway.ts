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
  /**
   * `name_too_long`: more than GATEWAY_NAME_MAX_LENGTH characters once prefixed; `needs_tasks`: a
   * tool that runs only as an MCP task (`execution.taskSupport: "required"`), which /mcp does not
   * carry (its own address, /mcp/<slug>, does).
   */
  reason: z.enum(['name_too_long', 'needs_tasks']),
});
export type GatewayOmission = z.infer<typeof ZGatewayOmission>;

/** Whether a tool runs only as an MCP task (the 2025-11-25 revision's `execution.taskSupport`). */
export const needsTasks = (tool: object) => (tool as { execution?: { taskSupport?: unknown } }).execution?.taskSupport === 'required';

/** Why /mcp leaves a server's tool or prompt out, or null when it serves it: the one rule, for the gateway and the server's page. */
export function gatewayOmissionReason(kind: GatewayOmission['kind'], slug: string, item: { name: string }): GatewayOmission['reason'] | null {
  if (gatewayName(slug, item.name).length > GATEWAY_NAME_MAX_LENGTH) return 'name_too_long';
  if (kind === 'tool' && needsTasks(item)) return 'needs_tasks';
  return null;
}

/** The tools and prompts of a server that /mcp leaves out, and why. */
export function gatewayOmissions(slug: string, catalogue: { tools: { name: string }[]; prompts: { name: string }[] }): GatewayOmission[] {
  const omitted: GatewayOmission[] = [];
  for (const [kind, items] of [['tool', catalogue.tools], ['prompt', catalogue.prompts]] as const) {
    for (const item of items) {
      const reason = gatewayOmissionReason(kind, slug, item);
      if (reason) omitted.push({ kind, name: item.name, gatewayName: gatewayName(slug, item.name), reason });
    }
  }
  return omitted;
}
