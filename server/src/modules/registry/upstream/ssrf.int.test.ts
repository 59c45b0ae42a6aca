import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEverything, type McpUpstream } from '../../../testing/mcp-upstreams';
import { discover, ping, UPSTREAM_POLICY_DEFAULTS, urlRefusal, type ResolvedAddress, type UpstreamPolicy } from './index';

const none = { kind: 'none' } as const;
const closed: UpstreamPolicy = { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: false };

/** A resolver for made-up names (no DNS query leaves the machine); counts its calls. */
function resolver(table: Record<string, string[] | ((call: number) => string[])>) {
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const entry = table[hostname];
    const addresses = typeof entry === 'function' ? entry(calls.filter((h) => h === hostname).length) : entry;
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, calls };
}

describe('SSRF guard', () => {
  let upstream: McpUpstream;
  let heard = 0;
  beforeAll(async () => {
    upstream = await startEverything({
      intercept: (_req, res) => {
        heard += 1;
        // A new connection, so a new lookup, for every request.
        res.setHeader('connection', 'close');
        return false;
      },
    });
  });
  afterAll(async () => {
    await upstream.close();
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    ['http://2852039166/mcp', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    ['http://0251.0376.0251.0376/mcp', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    ['http://[::ffff:169.254.169.254]/mcp', '::ffff:a9fe:a9fe is an IPv4-mapped form of 169.254.169.254, a link-local/cloud metadata address, always refused'],
    ['http://[::ffff:a9fe:a9fe]/mcp', '::ffff:a9fe:a9fe is an IPv4-mapped form of 169.254.169.254, a link-local/cloud metadata address, always refused'],
  ])('refuses %s without connecting, even with private addresses allowed', async (url, words) => {
    const { lookup, calls } = resolver({});
    const open = { ...closed, allowPrivate: true, lookup };
    expect(urlRefusal(url, open)).toBe(words);
    expect(await discover({ url, auth: none }, open)).toEqual({ ok: false, error: words });
    expect(await ping({ url, auth: none }, open)).toEqual({ ok: false, error: words });
    expect(calls).toEqual([]);
  });

  it('refuses, when connecting, a name that resolves to the metadata address', async () => {
    const { lookup, calls } = resolver({ 'metadata.test': ['169.254.169.254'] });
    const url = 'http://metadata.test/computeMetadata/v1/';
    // Saving cannot know where a name points; connecting does.
    expect(urlRefusal(url, closed)).toBeNull();
    for (const policy of [{ ...closed, lookup }, { ...closed, allowPrivate: true, allowedHosts: ['metadata.test'], lookup }]) {
      expect(await discover({ url, auth: none }, policy)).toEqual({ ok: false, error: 'metadata.test resolves to 169.254.169.254, a link-local/cloud metadata address, always refused' });
    }
    expect(calls).toEqual(['metadata.test', 'metadata.test']);
  });

  it('refuses loopback unless private addresses are allowed or the host is', async () => {
    const { lookup } = resolver({ 'upstream.test': ['127.0.0.1'] });
    const literal = upstream.url;
    const named = `http://upstream.test:${upstream.port}/mcp`;
    expect(await ping({ url: literal, auth: none }, closed)).toEqual({ ok: false, error: '127.0.0.1 is a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)' });
    expect(await ping({ url: named, auth: none }, { ...closed, lookup })).toEqual({
      ok: false,
      error: 'upstream.test resolves to 127.0.0.1, a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)',
    });
    expect(await discover({ url: literal, auth: none }, { ...closed, allowPrivate: true })).toMatchObject({ ok: true });
    expect(await discover({ url: named, auth: none }, { ...closed, allowPrivate: true, lookup })).toMatchObject({ ok: true });
    expect(await discover({ url: named, auth: none }, { ...closed, allowedHosts: ['upstream.test'], lookup })).toMatchObject({ ok: true });
    // The system resolver, for a name the machine itself answers.
    expect(await ping({ url: `http://localhost:${upstream.port}/mcp`, auth: none }, { ...closed, allowedHosts: ['localhost'] })).toMatchObject({ ok: true });
  });

  it('checks every connection: a name that turns to the metadata address after the first (DNS rebinding) gets no second one', async () => {
    const { lookup, calls } = resolver({ 'rebind.test': (call) => (call === 1 ? ['127.0.0.1'] : ['169.254.169.254']) });
    heard = 0;
    const result = await discover({ url: `http://rebind.test:${upstream.port}/mcp`, auth: none }, { ...closed, allowPrivate: true, lookup });
    expect(result).toEqual({ ok: false, error: 'rebind.test resolves to 169.254.169.254, a link-local/cloud metadata address, always refused' });
    expect(heard).toBe(1);
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });
});
