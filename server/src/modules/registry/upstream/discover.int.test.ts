import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListResourcesRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { ZCatalogue } from '@mreg/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEverything, startMcpUpstream, type McpUpstream } from '../../../testing/mcp-upstreams';
import { discover, ping, UPSTREAM_POLICY_DEFAULTS, type UpstreamPolicy } from './index';

const policy: UpstreamPolicy = { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: true };
const none = { kind: 'none' } as const;

/** Every page of every list, as the SDK's own client reads them: what discovery must match. */
async function reference(url: string) {
  const client = new Client({ name: 'reference', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const all = async <T>(list: (cursor?: string) => Promise<{ nextCursor?: string } & Record<string, unknown>>, key: string) => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      items.push(...(page[key] as T[]));
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const tools = await all<{ name: string }>((cursor) => client.listTools({ cursor }), 'tools');
  const resources = await all<{ uri: string }>((cursor) => client.listResources({ cursor }), 'resources');
  const templates = await all<{ uriTemplate: string }>((cursor) => client.listResourceTemplates({ cursor }), 'resourceTemplates');
  const prompts = await all<{ name: string }>((cursor) => client.listPrompts({ cursor }), 'prompts');
  await transport.terminateSession();
  await client.close();
  return { tools, resources, templates, prompts };
}

describe('discover: server-everything', () => {
  let everything: McpUpstream;
  beforeAll(async () => {
    everything = await startEverything();
  });
  afterAll(async () => {
    await everything.close();
  });

  it('finds all its tools, resources, resource templates and prompts, as the SDK client lists them', async () => {
    const result = await discover({ url: everything.url, auth: none }, policy);
    if (!result.ok) throw new Error(result.error);
    const { catalogue } = result;
    expect(ZCatalogue.parse(catalogue)).toEqual(catalogue);
    expect(result.warnings).toEqual([]);
    expect(catalogue.serverInfo).toMatchObject({ name: 'mcp-servers/everything', title: 'Everything Reference Server' });
    expect(catalogue.protocolVersion).toBe('2025-11-25');
    expect(catalogue.instructions).toMatch(/\S/);
    expect(Date.now() - Date.parse(catalogue.fetchedAt)).toBeLessThan(60_000);

    const expected = await reference(everything.url);
    expect(catalogue.tools.map((t) => t.name).sort()).toEqual(expected.tools.map((t) => t.name).sort());
    expect(catalogue.resources.map((r) => r.uri).sort()).toEqual(expected.resources.map((r) => r.uri).sort());
    expect(catalogue.resourceTemplates.map((r) => r.uriTemplate).sort()).toEqual(expected.templates.map((r) => r.uriTemplate).sort());
    expect(catalogue.prompts.map((p) => p.name).sort()).toEqual(expected.prompts.map((p) => p.name).sort());
    expect(catalogue.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']));
    expect(catalogue.tools.length).toBeGreaterThanOrEqual(10);
    expect(catalogue.resources.length).toBeGreaterThan(0);
    expect(catalogue.resourceTemplates.length).toBeGreaterThan(0);
    expect(catalogue.prompts.length).toBeGreaterThan(0);
    // The upstream's own fields pass through (the catalogue keeps what the server said).
    const echo = catalogue.tools.find((t) => t.name === 'echo')!;
    expect(echo.inputSchema).toMatchObject({ type: 'object', properties: { message: expect.any(Object) } });
  });

  it('ends the upstream session it opened (DELETE) and opens no listening stream', async () => {
    const before = everything.initialized;
    const result = await discover({ url: everything.url, auth: none }, policy);
    expect(result.ok).toBe(true);
    expect(everything.initialized).toBe(before + 1);
    expect(everything.sessions.size).toBe(0);
  });

  it('pings: initialize, then a ping round trip', async () => {
    const result = await ping({ url: everything.url, auth: none }, policy);
    if (!result.ok) throw new Error(result.error);
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.latencyMs);
    expect(everything.sessions.size).toBe(0);
  });

  it('refuses a catalogue with more tools than the limit, naming the limit', async () => {
    const result = await discover({ url: everything.url, auth: none }, { ...policy, maxCatalogueItems: 5 });
    expect(result).toEqual({ ok: false, error: 'the server has more than 5 tools; MREG keeps at most 5' });
  });

  it('refuses a catalogue larger than maxCatalogueBytes', async () => {
    const result = await discover({ url: everything.url, auth: none }, { ...policy, maxCatalogueBytes: 8 * 1024 });
    expect(result).toEqual({ ok: false, error: 'the catalogue is larger than 8 KiB as JSON; MREG keeps at most 8 KiB' });
  });
});

/** A low-level server whose tools and resources come in pages of `pageSize`, some items invalid. */
function pagedServer(toolCount: number, resourceCount: number, pageSize: number, seen: string[]) {
  const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {}, resources: {} } });
  const page = <T>(items: T[], cursor: string | undefined) => {
    const start = cursor ? Number(cursor) : 0;
    const next = start + pageSize < items.length ? String(start + pageSize) : undefined;
    return { items: items.slice(start, start + pageSize), ...(next ? { nextCursor: next } : {}) };
  };
  const tools = Array.from({ length: toolCount }, (_, i) => ({ name: `tool-${i}`, inputSchema: { type: 'object' as const } }));
  const resources = Array.from({ length: resourceCount }, (_, i) => ({ uri: `demo://r/${i}`, name: `r${i}` }));
  server.setRequestHandler(ListToolsRequestSchema, (request) => {
    seen.push(`tools/list ${request.params?.cursor ?? '-'}`);
    const { items, nextCursor } = page(tools, request.params?.cursor);
    return { tools: items, ...(nextCursor ? { nextCursor } : {}) };
  });
  server.setRequestHandler(ListResourcesRequestSchema, (request) => {
    seen.push(`resources/list ${request.params?.cursor ?? '-'}`);
    const { items, nextCursor } = page(resources, request.params?.cursor);
    return { resources: items, ...(nextCursor ? { nextCursor } : {}) };
  });
  return { server };
}

describe('discover: paging and item checks', () => {
  it('reads every page of every list, and skips lists the server does not announce', async () => {
    const seen: string[] = [];
    const upstream = await startMcpUpstream(() => pagedServer(23, 25, 10, seen));
    try {
      const result = await discover({ url: upstream.url, auth: none }, policy);
      if (!result.ok) throw new Error(result.error);
      expect(result.catalogue.tools.map((t) => t.name)).toEqual(Array.from({ length: 23 }, (_, i) => `tool-${i}`));
      expect(result.catalogue.resources).toHaveLength(25);
      // No templates handler: "method not found" is an empty list. No prompts capability: not asked.
      expect(result.catalogue.resourceTemplates).toEqual([]);
      expect(result.catalogue.prompts).toEqual([]);
      expect(seen).toEqual(['tools/list -', 'tools/list 10', 'tools/list 20', 'resources/list -', 'resources/list 10', 'resources/list 20']);
    } finally {
      await upstream.close();
    }
  });

  it('stops paging as soon as a list passes the limit', async () => {
    const seen: string[] = [];
    const upstream = await startMcpUpstream(() => pagedServer(1000, 0, 10, seen));
    try {
      const result = await discover({ url: upstream.url, auth: none }, { ...policy, maxCatalogueItems: 25 });
      expect(result).toEqual({ ok: false, error: 'the server has more than 25 tools; MREG keeps at most 25' });
      expect(seen).toEqual(['tools/list -', 'tools/list 10', 'tools/list 20']);
    } finally {
      await upstream.close();
    }
  });

  it('leaves out items that fail the catalogue schema, and duplicates, with warnings', async () => {
    const build = () => {
      const server = new Server({ name: 'sloppy', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: [
          { name: 'good', inputSchema: { type: 'object' } },
          { name: 'no-schema' },
          { description: 'no name', inputSchema: { type: 'object' } },
          { name: 'good', inputSchema: { type: 'object' }, description: 'again' },
        ],
      }) as never);
      return { server };
    };
    const upstream = await startMcpUpstream(build);
    try {
      const result = await discover({ url: upstream.url, auth: none }, policy);
      if (!result.ok) throw new Error(result.error);
      expect(result.catalogue.tools).toEqual([{ name: 'good', inputSchema: { type: 'object' } }]);
      expect(result.warnings).toEqual([
        expect.stringMatching(/^tool "no-schema" was left out: inputSchema: /),
        expect.stringMatching(/^tool #3 was left out: name: /),
        'tool "good" is listed twice; the second was left out',
      ]);
    } finally {
      await upstream.close();
    }
  });

  it('refuses a server that sends the same page cursor again', async () => {
    const build = () => {
      const server = new Server({ name: 'loop', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [], nextCursor: 'again' }));
      return { server };
    };
    const upstream = await startMcpUpstream(build);
    try {
      const result = await discover({ url: upstream.url, auth: none }, policy);
      expect(result).toEqual({ ok: false, error: 'the server sent the same tools/list page twice (cursor "again"): it would never end' });
    } finally {
      await upstream.close();
    }
  });

  it('keeps an McpServer catalogue valid against the shared schema', async () => {
    const upstream = await startMcpUpstream(() => {
      const server = new McpServer({ name: 'small', version: '0.0.1' });
      server.registerTool('add', { description: 'adds', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
      server.registerPrompt('hello', { description: 'says hello' }, () => ({ messages: [] }));
      return { server };
    });
    try {
      const result = await discover({ url: upstream.url, auth: none }, policy);
      if (!result.ok) throw new Error(result.error);
      expect(result.catalogue.tools.map((t) => t.name)).toEqual(['add']);
      expect(result.catalogue.prompts.map((p) => p.name)).toEqual(['hello']);
      expect(result.catalogue.resources).toEqual([]);
    } finally {
      await upstream.close();
    }
  });
});
