import { z } from 'zod';
import { ZGatewayOmission } from './gateway';
import { ZIsoDate } from './auth';
import { orRequired } from './messages';
import { visibleText } from './text';

/**
 * The MCP server registry's API (DESIGN.md, "API names" and "The MCP part"): a tenant's servers,
 * what discovery found on each (its catalogue), and their health. Secrets are write-only: an input
 * may carry one, no output ever does.
 */

export const SLUG_PATTERN = /^[a-z0-9-]{1,16}$/;
export const SERVER_NAME_MAX_LENGTH = 100;
export const SERVER_DESCRIPTION_MAX_LENGTH = 1000;
export const SERVER_URL_MAX_LENGTH = 2048;
/** Longest upstream secret (a bearer token or a header value). */
export const SECRET_MAX_LENGTH = 4096;
/** A header name as RFC 9110 spells a token, and not one MREG sets itself. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'content-type', 'accept', 'connection', 'transfer-encoding', 'cookie',
  'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'upgrade', 'te', 'trailer',
]);

/**
 * The WHATWG URL parser, which every runtime shared code runs in has (browsers, Node); shared is
 * typed without DOM or Node types, so this names the part it uses.
 */
interface ParsedUrl {
  href: string;
  protocol: string;
  username: string;
  password: string;
  hash: string;
}
const WhatwgUrl = (globalThis as unknown as { URL: { new (input: string): ParsedUrl; canParse(input: string): boolean } }).URL;

export const ZServerId = z.uuid({ error: orRequired('must be a server id (a UUID)') });

export const ZSlug = z
  .string({ error: orRequired('must be a slug') })
  .regex(SLUG_PATTERN, { error: 'must be 1 to 16 characters: lowercase letters, digits and -' });

/** A slug suggested from a name: "GitHub Issues!" -> "github-issues". */
export function suggestSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 16)
    .replace(/-+$/, '');
}

/**
 * An upstream's Streamable HTTP URL: http or https, with no user:password (credentials go in `auth`,
 * encrypted) and no fragment. Where it may point (SSRF) is checked by the server when saved.
 */
export const ZServerUrl = z
  .string({ error: orRequired('must be a URL') })
  .trim()
  .max(SERVER_URL_MAX_LENGTH, { error: `is longer than ${SERVER_URL_MAX_LENGTH} characters` })
  .superRefine((value, ctx) => {
    if (!WhatwgUrl.canParse(value)) {
      ctx.addIssue({ code: 'custom', message: 'is not a URL (e.g. https://mcp.example.com/mcp)' });
      return;
    }
    const url = new WhatwgUrl(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must start with http:// or https://, not ${url.protocol}//` });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not hold a user name or password: put the credential in the server\'s authentication' });
    } else if (url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must not have a #fragment' });
    }
  })
  // Kept as the parser spells it (scheme and host lowercased, `//` added): what is stored is what is reached.
  .transform((value) => new WhatwgUrl(value).href)
  .pipe(z.string().max(SERVER_URL_MAX_LENGTH, { error: `is longer than ${SERVER_URL_MAX_LENGTH} characters once written out` }));

const ZSecret = (what: string) =>
  z
    .string({ error: orRequired(`must be the ${what}`) })
    .min(1, { error: 'must not be empty' })
    .max(SECRET_MAX_LENGTH, { error: `is longer than ${SECRET_MAX_LENGTH} characters` })
    .regex(/^[\x20-\x7e]+$/, { error: 'may hold only visible ASCII characters and spaces (it travels in a header)' });

export const ZHeaderName = z
  .string({ error: orRequired('must be a header name') })
  .regex(HEADER_NAME, { error: 'must be a header name: letters, digits and - (e.g. X-Api-Key)' })
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { error: (issue) => `${String(issue.input)} is set by MREG itself; choose another header` });

/** How MREG authenticates to the upstream, as written (secrets included). */
export const ZServerAuthInput = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({ kind: z.literal('bearer'), token: ZSecret('bearer token') }),
    z.strictObject({ kind: z.literal('header'), name: ZHeaderName, value: ZSecret('header value') }),
  ],
  { error: orRequired('must be {kind: "none"}, {kind: "bearer", token} or {kind: "header", name, value}') },
);
export type ServerAuthInput = z.infer<typeof ZServerAuthInput>;

/** How MREG authenticates to the upstream, as answered: never the secret. */
export const ZServerAuth = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('bearer') }),
  z.object({ kind: z.literal('header'), name: z.string() }),
]);
export type ServerAuth = z.infer<typeof ZServerAuth>;

const ZServerName = visibleText({ max: SERVER_NAME_MAX_LENGTH, required: true, typeError: 'must be a name' });
const ZServerDescription = visibleText({ max: SERVER_DESCRIPTION_MAX_LENGTH, lineBreaks: true, typeError: 'must be text' });

export const ZCreateServerInput = z.strictObject({
  slug: ZSlug,
  name: ZServerName,
  url: ZServerUrl,
  description: ZServerDescription.optional(),
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  auth: ZServerAuthInput.optional(),
});
export type CreateServerInput = z.infer<typeof ZCreateServerInput>;

/**
 * A change to a server: the fields given replace theirs. `auth` left out keeps the stored one (and
 * its secret); given, it replaces it whole.
 */
export const ZUpdateServerInput = z.strictObject({
  id: ZServerId,
  slug: ZSlug.optional(),
  name: ZServerName.optional(),
  url: ZServerUrl.optional(),
  description: ZServerDescription.optional(),
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  auth: ZServerAuthInput.optional(),
});
export type UpdateServerInput = z.infer<typeof ZUpdateServerInput>;

export const ZServerIdInput = z.strictObject({ id: ZServerId });
export type ServerIdInput = z.infer<typeof ZServerIdInput>;

/** What "Test connection" sends: a server not saved yet (or a changed one, `id` naming the stored secret to use). */
export const ZTestServerInput = z.strictObject({
  id: ZServerId.optional(),
  url: ZServerUrl,
  auth: ZServerAuthInput.optional(),
});
export type TestServerInput = z.infer<typeof ZTestServerInput>;

export const SERVER_STATUSES = ['healthy', 'unhealthy', 'unknown', 'disabled'] as const;
export const ZServerStatus = z.enum(SERVER_STATUSES);
export type ServerStatus = z.infer<typeof ZServerStatus>;

/** A registered server, as `registry.list` answers it. */
export const ZServer = z.object({
  id: ZServerId,
  slug: z.string(),
  name: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  auth: ZServerAuth,
  status: ZServerStatus,
  lastCheckedAt: ZIsoDate.nullable(),
  /** The last failure in words (a ping, or discovery), or null. */
  lastError: z.string().nullable(),
  /** Tools in the catalogue; null before the first discovery. */
  toolCount: z.number().int().nullable(),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
export type Server = z.infer<typeof ZServer>;
export const ZServerList = z.array(ZServer);

// The catalogue keeps what the upstream said as JSON (the MCP schema's shapes); these name the
// fields MREG and the app read, and pass the rest through.
const ZJsonObject = z.record(z.string(), z.unknown());

export const ZCatalogueTool = z.looseObject({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: ZJsonObject,
  outputSchema: ZJsonObject.optional(),
  annotations: ZJsonObject.optional(),
});
export const ZCatalogueResource = z.looseObject({
  uri: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mimeType: z.string().optional(),
});
export const ZCatalogueResourceTemplate = z.looseObject({
  uriTemplate: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mimeType: z.string().optional(),
});
export const ZCataloguePrompt = z.looseObject({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  arguments: z.array(z.looseObject({ name: z.string(), description: z.string().optional(), required: z.boolean().optional() })).optional(),
});

/** What discovery found on a server. */
export const ZCatalogue = z.object({
  serverInfo: z.looseObject({ name: z.string(), version: z.string(), title: z.string().optional() }),
  protocolVersion: z.string(),
  instructions: z.string().optional(),
  tools: z.array(ZCatalogueTool),
  resources: z.array(ZCatalogueResource),
  resourceTemplates: z.array(ZCatalogueResourceTemplate),
  prompts: z.array(ZCataloguePrompt),
  fetchedAt: ZIsoDate,
});
export type Catalogue = z.infer<typeof ZCatalogue>;
export type CatalogueTool = z.infer<typeof ZCatalogueTool>;

/** What a discovery attempt found: the catalogue, or why the server could not be reached, in words. */
export const ZDiscoveryOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), toolCount: z.number().int(), latencyMs: z.number() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type DiscoveryOutcome = z.infer<typeof ZDiscoveryOutcome>;

/** `registry.get`: the server and its catalogue (null before the first successful discovery). */
export const ZServerDetail = z.object({
  server: ZServer,
  catalogue: ZCatalogue.nullable(),
  /** Tools and prompts /mcp leaves out: their names, prefixed with the slug, are too long. */
  gatewayOmitted: z.array(ZGatewayOmission),
  health: z.object({
    lastSuccessAt: ZIsoDate.nullable(),
    consecutiveFailures: z.number().int(),
    latencyMs: z.number().nullable(),
  }),
});
export type ServerDetail = z.infer<typeof ZServerDetail>;

/** `registry.create`, `registry.update` and `registry.refresh`: the server, and how discovery went. */
export const ZServerSaved = z.object({ server: ZServer, discovery: ZDiscoveryOutcome });
export type ServerSaved = z.infer<typeof ZServerSaved>;

/** `registry.test`: what the upstream said, nothing saved. */
export const ZTestServerResult = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    serverInfo: z.looseObject({ name: z.string(), version: z.string() }),
    protocolVersion: z.string(),
    toolCount: z.number().int(),
    resourceCount: z.number().int(),
    promptCount: z.number().int(),
    latencyMs: z.number(),
  }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type TestServerResult = z.infer<typeof ZTestServerResult>;

export const ZRemoveServerResult = z.object({ id: ZServerId });
