import {
  ZCataloguePrompt,
  ZCatalogueResource,
  ZCatalogueResourceTemplate,
  ZCatalogueTool,
  type Catalogue,
} from '@mreg/shared';
import { EmptyResultSchema, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { UpstreamPolicy, UpstreamTarget } from './policy';
import { openSession, type Session } from './session';
import { secretsOf } from './fetch';
import { formatBytes, formatDuration, quote, redact, UpstreamError } from './words';

export type DiscoverResult =
  | {
      ok: true;
      catalogue: Catalogue;
      /** From the first connection to the last page. */
      latencyMs: number;
      /** Items left out (invalid, or listed twice), in words; empty when all was kept. */
      warnings: string[];
    }
  | { ok: false; error: string };

export type PingResult =
  | {
      ok: true;
      /** The ping's round trip, on an initialized session. */
      latencyMs: number;
      /** Connection, initialize and ping. */
      totalMs: number;
    }
  | { ok: false; error: string };

type ListKey = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

interface ListSpec {
  key: ListKey;
  method: string;
  capability: keyof ServerCapabilities;
  /** "tools", "resource templates"... */
  noun: string;
  singular: string;
  item: z.ZodType<Record<string, unknown>>;
  /** What names an item, to tell duplicates and to name it in a warning. */
  id: string;
}

const LISTS: readonly ListSpec[] = [
  { key: 'tools', method: 'tools/list', capability: 'tools', noun: 'tools', singular: 'tool', item: ZCatalogueTool, id: 'name' },
  { key: 'resources', method: 'resources/list', capability: 'resources', noun: 'resources', singular: 'resource', item: ZCatalogueResource, id: 'uri' },
  { key: 'resourceTemplates', method: 'resources/templates/list', capability: 'resources', noun: 'resource templates', singular: 'resource template', item: ZCatalogueResourceTemplate, id: 'uriTemplate' },
  { key: 'prompts', method: 'prompts/list', capability: 'prompts', noun: 'prompts', singular: 'prompt', item: ZCataloguePrompt, id: 'name' },
];

/** Warnings listed one by one at most; the rest are counted. */
const MAX_WARNINGS = 20;

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * initialize, then every page of tools/list, resources/list, resources/templates/list and
 * prompts/list (skipping lists the server's capabilities do not announce); closes the connection.
 * Never throws for upstream problems: they come back as `{ ok: false, error }` in words.
 *
 * Past maxCatalogueItems in a list or maxCatalogueBytes in all, discovery is refused (a partial
 * catalogue would mislead: tools would seem missing). Items that fail the catalogue's schemas,
 * and items listed twice, are left out with a warning; the rest is kept.
 */
export async function discover(target: UpstreamTarget, policy: UpstreamPolicy): Promise<DiscoverResult> {
  const started = performance.now();
  const secrets = secretsOf(target.auth);
  const deadline = bound('discovery', policy.discoverTimeoutMs ?? 4 * policy.requestTimeoutMs);
  let session: Session | undefined;
  try {
    session = await openSession(target, policy, { signal: deadline.signal });
    const { catalogue, warnings } = await readCatalogue(session, policy);
    return { ok: true, catalogue, latencyMs: Math.round(performance.now() - started), warnings: warnings.map((w) => redact(w, secrets)) };
  } catch (error) {
    return { ok: false, error: redact(error instanceof UpstreamError ? error.message : 'discovery failed unexpectedly', secrets) };
  } finally {
    deadline.clear();
    await session?.close();
  }
}

/** An AbortSignal that fires after `ms` with words naming `what` (each request has its own, shorter timeout too). */
function bound(what: string, ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new UpstreamError(`${what} took longer than ${formatDuration(ms)}, MREG's limit`)), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

async function readCatalogue(session: Session, policy: UpstreamPolicy): Promise<{ catalogue: Catalogue; warnings: string[] }> {
  const serverInfo = session.serverInfo as Catalogue['serverInfo'];
  const base = { serverInfo, protocolVersion: session.protocolVersion, ...(session.instructions !== undefined ? { instructions: session.instructions } : {}) };
  let bytes = bytesOf(base);
  const tooLarge = () => {
    throw new UpstreamError(`the catalogue is larger than ${formatBytes(policy.maxCatalogueBytes)} as JSON; MREG keeps at most ${formatBytes(policy.maxCatalogueBytes)}`);
  };
  if (bytes > policy.maxCatalogueBytes) tooLarge();

  const lists: Pick<Catalogue, ListKey> = { tools: [], resources: [], resourceTemplates: [], prompts: [] };
  const warnings: string[] = [];
  for (const spec of LISTS) {
    if (!session.capabilities[spec.capability]) continue;
    const raw = await readList(session, spec, policy, (added) => {
      bytes += added;
      if (bytes > policy.maxCatalogueBytes) tooLarge();
    });
    // keepValid parsed each item with the list's own catalogue schema.
    lists[spec.key] = keepValid(raw, spec, warnings, session.exchange.secrets) as never;
  }
  const catalogue: Catalogue = { ...base, ...lists, fetchedAt: new Date().toISOString() };
  if (bytesOf(catalogue) > policy.maxCatalogueBytes) tooLarge();
  const shown = warnings.slice(0, MAX_WARNINGS);
  if (warnings.length > MAX_WARNINGS) shown.push(`and ${warnings.length - MAX_WARNINGS} more left out`);
  return { catalogue, warnings: shown };
}

/** Every page of one list, as the server sent its items. */
async function readList(session: Session, spec: ListSpec, policy: UpstreamPolicy, counted: (bytes: number) => void): Promise<unknown[]> {
  const page = z.looseObject({ [spec.key]: z.array(z.unknown()), nextCursor: z.string().optional() });
  const items: unknown[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (let pages = 1; ; pages += 1) {
    // A server may announce resources without serving templates: "method not found" is an empty list there.
    const answer = await session.request(spec.method, cursor === undefined ? undefined : { cursor }, page, { unknownMethodAsUndefined: spec.key === 'resourceTemplates' });
    if (answer === undefined) return items;
    const got = answer[spec.key] as unknown[];
    if (items.length + got.length > policy.maxCatalogueItems) {
      throw new UpstreamError(`the server has more than ${policy.maxCatalogueItems} ${spec.noun}; MREG keeps at most ${policy.maxCatalogueItems}`);
    }
    for (const item of got) counted(bytesOf(item) + 1);
    items.push(...got);
    cursor = (answer.nextCursor as string | undefined) || undefined;
    if (cursor === undefined) return items;
    if (cursors.has(cursor)) throw new UpstreamError(`the server sent the same ${spec.method} page twice (cursor ${quote(cursor, session.exchange.secrets, 40)}): it would never end`);
    cursors.add(cursor);
    if (pages > policy.maxCatalogueItems) throw new UpstreamError(`the server sent more than ${policy.maxCatalogueItems} pages of ${spec.noun}; MREG stops there`);
  }
}

/** The items that pass the catalogue's schema, each id once; a warning for every other. */
function keepValid(raw: unknown[], spec: ListSpec, warnings: string[], secrets: readonly string[]): Record<string, unknown>[] {
  const kept: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  raw.forEach((item, index) => {
    const id = item && typeof item === 'object' ? (item as Record<string, unknown>)[spec.id] : undefined;
    const named = typeof id === 'string' ? `${spec.singular} ${quote(id, secrets, 80)}` : `${spec.singular} #${index + 1}`;
    const parsed = spec.item.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      warnings.push(`${named} was left out: ${where}${issue?.message ?? 'not valid'}`);
      return;
    }
    const key = String(parsed.data[spec.id]);
    if (seen.has(key)) {
      warnings.push(`${named} is listed twice; the second was left out`);
      return;
    }
    seen.add(key);
    kept.push(parsed.data);
  });
  return kept;
}

/** initialize + ping; closes. Never throws for upstream problems. */
export async function ping(target: UpstreamTarget, policy: UpstreamPolicy): Promise<PingResult> {
  const started = performance.now();
  // Connection, initialize, the initialized notification (which the SDK does not time) and the ping.
  const deadline = bound('the ping', policy.connectTimeoutMs + 3 * policy.requestTimeoutMs);
  let session: Session | undefined;
  try {
    session = await openSession(target, policy, { signal: deadline.signal });
    const sent = performance.now();
    await session.request('ping', undefined, EmptyResultSchema);
    const answered = performance.now();
    return { ok: true, latencyMs: Math.round((answered - sent) * 10) / 10, totalMs: Math.round(answered - started) };
  } catch (error) {
    return { ok: false, error: redact(error instanceof UpstreamError ? error.message : 'the ping failed unexpectedly', secretsOf(target.auth)) };
  } finally {
    deadline.clear();
    await session?.close();
  }
}
