import { describe, expect, it } from 'vitest';
import type { AddressPolicy } from './policy';
import { classifyAddress, guardedLookup, urlRefusal } from './ssrf';

const closed: AddressPolicy = { allowPrivate: false, allowedHosts: [] };
const open: AddressPolicy = { allowPrivate: true, allowedHosts: [] };

describe('urlRefusal', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    // Decimal, octal and hex spellings: WHATWG URL turns them into dotted decimal first.
    ['http://2852039166/', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    ['http://0251.0376.0251.0376/', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254 is a link-local/cloud metadata address, always refused'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe is an IPv4-mapped form of 169.254.169.254, a link-local/cloud metadata address, always refused'],
    ['http://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe is an IPv4-mapped form of 169.254.169.254, a link-local/cloud metadata address, always refused'],
    ['http://[64:ff9b::169.254.169.254]/', '64:ff9b::a9fe:a9fe is a NAT64 form of 169.254.169.254, a link-local/cloud metadata address, always refused'],
    ['http://[2002:a9fe:a9fe::1]/', '2002:a9fe:a9fe::1 is a 6to4 form of 169.254.169.254, a link-local/cloud metadata address, always refused'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254 is a cloud metadata address, always refused'],
    ['http://100.100.100.200/', '100.100.100.200 is a cloud metadata address, always refused'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address, always refused'],
    ['http://0.0.0.0:8080/', '0.0.0.0 is an unspecified address, always refused'],
    ['http://0/', '0.0.0.0 is an unspecified address, always refused'],
    ['http://[::]/', ':: is an unspecified address, always refused'],
    ['http://224.0.0.1/', '224.0.0.1 is a multicast address, always refused'],
    ['http://[ff02::1]/', 'ff02::1 is a multicast address, always refused'],
    ['http://255.255.255.255/', '255.255.255.255 is the broadcast address, always refused'],
  ])('always refuses %s, even with private addresses allowed', (url, words) => {
    expect(urlRefusal(url, closed)).toBe(words);
    expect(urlRefusal(url, open)).toBe(words);
    expect(urlRefusal(url, { allowPrivate: true, allowedHosts: [new URL(url).hostname] })).toBe(words);
  });

  it.each([
    ['http://127.0.0.1:4123/mcp', '127.0.0.1 is a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['http://127.1/', '127.0.0.1 is a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['http://2130706433/', '127.0.0.1 is a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['http://[::1]/', '::1 is a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is an IPv4-mapped form of 127.0.0.1, a loopback address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['http://localhost:3000/mcp', 'localhost is a loopback name, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['http://api.localhost/', 'api.localhost is a loopback name, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['https://10.1.2.3/mcp', '10.1.2.3 is a private address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['https://172.16.0.1/', '172.16.0.1 is a private address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['https://192.168.1.10/', '192.168.1.10 is a private address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['https://100.64.0.1/', '100.64.0.1 is a shared (CGNAT) address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
    ['https://[fd12:3456::1]/', 'fd12:3456::1 is a private address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)'],
  ])('refuses %s unless private addresses or the host are allowed', (url, words) => {
    expect(urlRefusal(url, closed)).toBe(words);
    expect(urlRefusal(url, open)).toBeNull();
    expect(urlRefusal(url, { allowPrivate: false, allowedHosts: [new URL(url).hostname.replace(/^\[|\]$/g, '')] })).toBeNull();
  });

  it('lets public addresses and names through (names are checked when connecting)', () => {
    for (const url of ['https://mcp.example.com/mcp', 'https://93.184.216.34/', 'http://[2606:4700::1111]/', 'https://metadata.google.internal/']) {
      expect(urlRefusal(url, closed)).toBeNull();
    }
  });

  it('refuses what is not an http(s) URL without credentials', () => {
    expect(urlRefusal('not a url', closed)).toMatch(/is not a URL/);
    expect(urlRefusal('ftp://example.com/', closed)).toBe('the URL must start with http:// or https://, not ftp://');
    expect(urlRefusal('https://user:pw@example.com/', closed)).toMatch(/must not hold a user name or password/);
  });

  it('matches allowed hosts without case or a trailing dot', () => {
    expect(urlRefusal('http://LocalHost.:8080/', { allowPrivate: false, allowedHosts: ['localhost'] })).toBeNull();
  });
});

describe('classifyAddress', () => {
  it('does not take every IPv4 address for IPv4-mapped (the ::ffff:0:0/96 BlockList trap)', () => {
    expect(classifyAddress('8.8.8.8').verdict).toBe('public');
    expect(classifyAddress('93.184.216.34').verdict).toBe('public');
    expect(classifyAddress('::ffff:8.8.8.8').verdict).toBe('public');
  });

  it('sees IPv4 addresses inside IPv6 forms', () => {
    expect(classifyAddress('::ffff:10.0.0.1').verdict).toBe('private');
    expect(classifyAddress('::ffff:0:7f00:1').verdict).toBe('loopback');
    expect(classifyAddress('::a9fe:a9fe').verdict).toBe('refused');
    expect(classifyAddress('64:ff9b::8.8.8.8').verdict).toBe('public');
    expect(classifyAddress('::1').verdict).toBe('loopback');
    expect(classifyAddress('::').verdict).toBe('refused');
  });
});

describe('guardedLookup', () => {
  function lookUp(table: Record<string, string[]>, policy = closed, options: { all?: boolean; family?: number } = {}) {
    const lookup = guardedLookup(policy, async (host) => (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    return (host: string) =>
      new Promise<unknown>((resolve, reject) => {
        lookup(host, options as never, (error: Error | null, address: unknown, family?: number) => (error ? reject(error) : resolve(options.all ? address : { address, family })));
      });
  }

  it('refuses a name when any of its addresses is refused, naming both', async () => {
    const table = { 'metadata.test': ['169.254.169.254'], 'mixed.test': ['93.184.216.34', '10.0.0.1'], 'local.test': ['127.0.0.1'] };
    await expect(lookUp(table)('metadata.test')).rejects.toThrow('metadata.test resolves to 169.254.169.254, a link-local/cloud metadata address, always refused');
    await expect(lookUp(table)('mixed.test')).rejects.toThrow('mixed.test resolves to 10.0.0.1, a private address, refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)');
    await expect(lookUp(table)('local.test')).rejects.toThrow('local.test resolves to 127.0.0.1, a loopback address, refused here');
    await expect(lookUp(table, open)('local.test')).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(lookUp(table, { allowPrivate: false, allowedHosts: ['local.test'] })('local.test')).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(lookUp(table, { allowPrivate: true, allowedHosts: ['metadata.test'] })('metadata.test')).rejects.toThrow('always refused');
  });

  it('answers in the shape net.connect asks for', async () => {
    const table = { 'two.test': ['::1', '127.0.0.1'] };
    await expect(lookUp(table, open, { all: true })('two.test')).resolves.toEqual([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    await expect(lookUp(table, open, { family: 4 })('two.test')).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(lookUp(table, open)('none.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
