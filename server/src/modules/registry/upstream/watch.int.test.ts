import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startMcpUpstream, type McpUpstream } from '../../../testing/mcp-upstreams';
import { discover, UPSTREAM_POLICY_DEFAULTS, watchListChanges, type ListWatcher, type UpstreamPolicy, type WatchOptions } from './index';

const policy: UpstreamPolicy = { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: true };
const none = { kind: 'none' } as const;
const quick: WatchOptions = { debounceMs: 50, backoffMs: { initial: 50, max: 200 } };

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** An McpServer per session whose tools are `names`; `add` registers one more on every open session (which notifies). */
async function toolServer() {
  const names = ['first'];
  const servers = new Set<McpServer>();
  const upstream = await startMcpUpstream(() => {
    const server = new McpServer({ name: 'changing', version: '1.0.0' });
    for (const name of names) server.registerTool(name, { description: name }, () => ({ content: [] }));
    servers.add(server);
    return { server };
  });
  stops.push(() => upstream.close());
  return {
    upstream,
    add(name: string) {
      names.push(name);
      for (const server of servers) if (server.isConnected()) server.registerTool(name, { description: name }, () => ({ content: [] }));
    },
    notify() {
      for (const server of servers) if (server.isConnected()) server.sendToolListChanged();
    },
  };
}

function watch(upstream: McpUpstream, options: WatchOptions = {}, auth: Parameters<typeof watchListChanges>[0]['auth'] = none) {
  return watchWith(upstream, options, policy, auth);
}

function watchWith(upstream: McpUpstream, options: WatchOptions, withPolicy: UpstreamPolicy, auth: Parameters<typeof watchListChanges>[0]['auth'] = none) {
  const changes: number[] = [];
  const errors: string[] = [];
  const watcher: ListWatcher = watchListChanges({ url: upstream.url, auth }, withPolicy, () => changes.push(Date.now()), { ...quick, onError: (e) => errors.push(e), ...options });
  stops.push(() => watcher.close());
  return { watcher, changes, errors };
}

/** Sends list_changed until the watcher hears one: its listening stream opens a moment after initialize. */
async function untilHeard(changes: number[], send: () => void) {
  await expect
    .poll(
      () => {
        if (changes.length === 0) send();
        return changes.length;
      },
      { timeout: 5000, interval: 100 },
    )
    .toBeGreaterThan(0);
}

describe('watchListChanges', () => {
  it('hears tools/list_changed and calls onChange; discovery then finds the new tool', async () => {
    const { upstream, add } = await toolServer();
    const { changes, errors } = watch(upstream);
    await expect.poll(() => upstream.sessions.size, { timeout: 5000 }).toBe(1);
    let added = 0;
    await untilHeard(changes, () => add(`added-${(added += 1)}`));
    expect(errors).toEqual([]);
    const found = await discover({ url: upstream.url, auth: none }, policy);
    if (!found.ok) throw new Error(found.error);
    expect(found.catalogue.tools.map((t) => t.name)).toContain('added-1');
  });

  it('makes one onChange of a burst of notifications', async () => {
    const { upstream, notify } = await toolServer();
    const { changes } = watch(upstream, { debounceMs: 200 });
    await untilHeard(changes, notify);
    await new Promise((r) => setTimeout(r, 300));
    changes.length = 0;
    for (let i = 0; i < 5; i += 1) notify();
    await expect.poll(() => changes.length, { timeout: 3000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(changes).toHaveLength(1);
  });

  it('reconnects with a new session when the upstream drops it, and calls onChange (changes may have been missed)', async () => {
    const { upstream, notify } = await toolServer();
    const { changes, errors } = watch(upstream);
    await untilHeard(changes, notify);
    await new Promise((r) => setTimeout(r, 100));
    changes.length = 0;
    const before = upstream.initialized;
    for (const { transport } of upstream.sessions.values()) await transport.close();
    await expect.poll(() => upstream.initialized, { timeout: 5000 }).toBe(before + 1);
    await expect.poll(() => changes.length, { timeout: 5000 }).toBe(1);
    expect(errors[0]).toMatch(/^the server closed the notification stream; MREG tries again in \d+ ms$/);
  });

  it('notices a session that went quiet (its liveness ping goes unanswered) and starts a new one', async () => {
    let silent = false;
    const names = ['only'];
    const upstream = await startMcpUpstream(
      () => {
        const server = new McpServer({ name: 'quiet', version: '1' });
        for (const name of names) server.registerTool(name, { description: name }, () => ({ content: [] }));
        return { server };
      },
      // Once silent, requests on an existing session get no answer; the listening stream stays open.
      { intercept: (req) => silent && req.method === 'POST' && req.headers['mcp-session-id'] !== undefined },
    );
    stops.push(() => upstream.close());
    const { errors } = watchWith(upstream, { livenessMs: 100 }, { ...policy, requestTimeoutMs: 200 });
    await expect.poll(() => upstream.initialized, { timeout: 5000 }).toBe(1);
    silent = true;
    await expect.poll(() => upstream.initialized, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatch(/^no answer within 200 ms to ping; MREG tries again in \d+ ms$/);
  });

  it('ends its session on close() and calls nothing afterwards', async () => {
    const { upstream, notify } = await toolServer();
    const { watcher, changes } = watch(upstream);
    await untilHeard(changes, notify);
    await watcher.close();
    expect(upstream.sessions.size).toBe(0);
    const heard = changes.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(changes.length).toBe(heard);
    expect(upstream.initialized).toBe(1);
  });

  it('does not hold a connection to a server that announces no list changes', async () => {
    const upstream = await startMcpUpstream(() => {
      const server = new Server({ name: 'static', version: '1' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
      return { server };
    });
    stops.push(() => upstream.close());
    const { errors } = watch(upstream, { recheckMs: 60_000 });
    await expect.poll(() => errors, { timeout: 5000 }).toEqual(['the server announces no list changes; MREG tries again in 60 s']);
    await expect.poll(() => upstream.sessions.size, { timeout: 2000 }).toBe(0);
  });

  it('retries with backoff when refused, saying why without the credential', async () => {
    const token = 'Watch-9d2e7f11SECRET';
    const upstream = await startMcpUpstream(() => ({ server: new McpServer({ name: 'x', version: '1' }) }), {
      intercept: (req, res) => {
        res.writeHead(401, { 'content-type': 'text/plain' }).end(`bad ${req.headers.authorization}`);
        return true;
      },
    });
    stops.push(() => upstream.close());
    const { watcher, errors } = watch(upstream, {}, { kind: 'bearer', token });
    await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await watcher.close();
    for (const error of errors) {
      expect(error).toMatch(/^the server answered 401: it refused MREG's credentials \(check the server's authentication\); MREG tries again in \d+ ms$/);
      expect(error).not.toContain(token);
    }
    const delays = errors.map((e) => Number(/in (\d+) ms$/.exec(e)![1]));
    // 50, 100, 200 ms (+-20%), capped at 200.
    expect(delays[1]! / delays[0]!).toBeGreaterThan(1.3);
    expect(Math.max(...delays)).toBeLessThanOrEqual(240);
  });
});
