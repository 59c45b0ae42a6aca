import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4, isIPv6, type LookupFunction } from 'node:net';
import type { AddressPolicy, ResolvedAddress } from './policy';
import { UpstreamError } from './words';

/**
 * Where an upstream may point (DESIGN.md, "Security model"): checked on the URL when it is saved
 * (IP literals and localhost names; no network) and on every resolved address when a connection is
 * made (the undici connector's lookup), so that a name resolving to a forbidden address, or
 * changing its answer after the save (DNS rebinding), never gets a connection.
 */

type Verdict = 'refused' | 'loopback' | 'private' | 'public';
interface Range {
  verdict: Exclude<Verdict, 'public'>;
  what: string;
  list: BlockList;
}

const METADATA = 'a link-local/cloud metadata address';

function range(verdict: Range['verdict'], what: string, subnets: Array<[string, number]>): Range {
  const list = new BlockList();
  // Never an IPv4-mapped rule (::ffff:0:0/96): BlockList matches it against every IPv4 address.
  // Embedded IPv4 addresses are taken out and checked as IPv4 instead (embeddedIPv4 below).
  for (const [address, prefix] of subnets) list.addSubnet(address, prefix, isIPv4(address) ? 'ipv4' : 'ipv6');
  return { verdict, what, list };
}

/** First match wins: the always-refused single addresses sit before the ranges that contain them. */
const RANGES: readonly Range[] = [
  range('refused', 'an unspecified address', [['0.0.0.0', 8], ['::', 128]]),
  range('refused', 'a cloud metadata address', [['100.100.100.200', 32], ['fd00:ec2::254', 128]]),
  range('refused', METADATA, [['169.254.0.0', 16]]),
  range('refused', 'a link-local address', [['fe80::', 10]]),
  range('refused', 'a multicast address', [['224.0.0.0', 4], ['ff00::', 8]]),
  range('refused', 'the broadcast address', [['255.255.255.255', 32]]),
  range('refused', 'a reserved address', [['240.0.0.0', 4], ['100::', 64]]),
  range('loopback', 'a loopback address', [['127.0.0.0', 8], ['::1', 128]]),
  range('private', 'a private address', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['fc00::', 7], ['fec0::', 10]]),
  range('private', 'a shared (CGNAT) address', [['100.64.0.0', 10]]),
  range('private', 'a special-purpose address', [['192.0.0.0', 24], ['198.18.0.0', 15], ['64:ff9b:1::', 48]]),
];

/** The 16 bytes of an IPv6 address (already known valid: `isIPv6`), a zone id ignored. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.split('%')[0]!.toLowerCase();
  const bytes = new Uint8Array(16);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

const ipv4At = (bytes: Uint8Array, at: number) => Array.from(bytes.subarray(at, at + 4)).join('.');
const zeros = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);

/**
 * The IPv4 address an IPv6 address stands for, with the form's name: IPv4-mapped (::ffff:0:0/96),
 * IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and the old
 * IPv4-compatible form (::/96).
 */
function embeddedIPv4(bytes: Uint8Array): { ipv4: string; form: string } | undefined {
  if (zeros(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return { ipv4: ipv4At(bytes, 12), form: 'an IPv4-mapped form' };
  if (zeros(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(bytes, 10, 12)) return { ipv4: ipv4At(bytes, 12), form: 'an IPv4-translated form' };
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(bytes, 4, 12)) return { ipv4: ipv4At(bytes, 12), form: 'a NAT64 form' };
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { ipv4: ipv4At(bytes, 2), form: 'a 6to4 form' };
  // ::/96 without :: and ::1, which have names of their own.
  if (zeros(bytes, 0, 12) && !zeros(bytes, 12, 15)) return { ipv4: ipv4At(bytes, 12), form: 'an IPv4-compatible form' };
  return undefined;
}

export interface AddressClass {
  verdict: Verdict;
  /** "a link-local/cloud metadata address", or for an embedded IPv4 "an IPv4-mapped form of 169.254.169.254, a link-local/cloud metadata address". */
  what: string;
}

/** What an IP address (v4, or v6 without brackets) is, from MREG's point of view. */
export function classifyAddress(address: string): AddressClass {
  if (isIPv6(address)) {
    const embedded = embeddedIPv4(ipv6Bytes(address));
    if (embedded) {
      const inner = classifyAddress(embedded.ipv4);
      return { verdict: inner.verdict, what: `${embedded.form} of ${embedded.ipv4}, ${inner.what}` };
    }
  }
  const type = isIPv4(address) ? 'ipv4' : 'ipv6';
  const match = RANGES.find((r) => r.list.check(address, type));
  return match ? { verdict: match.verdict, what: match.what } : { verdict: 'public', what: 'a public address' };
}

/** A host name as compared with the allowed hosts: lowercase, no brackets, no trailing dot. */
export function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function isAllowedHost(host: string, policy: AddressPolicy): boolean {
  const name = normaliseHost(host);
  return policy.allowedHosts.some((allowed) => normaliseHost(allowed) === name);
}

const refusedHere = 'refused here (MREG_REGISTRY_ALLOW_PRIVATE=false)';

/** Why `address` may not be connected to for `host`, or null. */
function addressRefusal(address: string, host: string, policy: AddressPolicy): string | null {
  const { verdict, what } = classifyAddress(address);
  const subject = normaliseHost(host) === address ? `${address} is ${what}` : `${host} resolves to ${address}, ${what}`;
  if (verdict === 'refused') return `${subject}, always refused`;
  if (verdict === 'public' || policy.allowPrivate || isAllowedHost(host, policy)) return null;
  return `${subject}, ${refusedHere}`;
}

/**
 * Save-time check, no network: null when the URL may be saved, else the reason in words (naming
 * the address). Names other than localhost are checked when connecting, on what they resolve to.
 */
export function urlRefusal(url: string, policy: AddressPolicy): string | null {
  if (!URL.canParse(url)) return 'the URL is not a URL (e.g. https://mcp.example.com/mcp)';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `the URL must start with http:// or https://, not ${parsed.protocol}//`;
  if (parsed.username || parsed.password) return 'the URL must not hold a user name or password: put the credential in the server\'s authentication';
  const host = normaliseHost(parsed.hostname);
  // WHATWG URL has already turned decimal, octal and hex IPv4 forms into dotted decimal.
  if (isIP(host)) return addressRefusal(host, host, policy);
  if ((host === 'localhost' || host.endsWith('.localhost')) && !policy.allowPrivate && !isAllowedHost(host, policy)) {
    return `${host} is a loopback name, ${refusedHere}`;
  }
  return null;
}

export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/**
 * A `net.connect` lookup that resolves with `resolve`, then refuses the connection when any
 * resolved address is refused (the refusal is an UpstreamError in words): the address checked is
 * the address connected to.
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver): LookupFunction {
  const checked = async (hostname: string, wanted: 0 | 4 | 6): Promise<ResolvedAddress[]> => {
    const addresses = await resolve(hostname);
    for (const { address } of addresses) {
      const refusal = addressRefusal(address, hostname, policy);
      if (refusal) throw new UpstreamError(refusal);
    }
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    if (usable.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    return usable.map(({ address, family }) => ({ address, family }));
  };
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    checked(hostname, wanted).then(
      (usable) => {
        if (options.all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** Why a connection to an IP literal host (as undici hands it to the connector: no brackets) is refused, or null. */
export function literalRefusal(hostname: string, policy: AddressPolicy): string | null {
  return isIP(hostname) ? addressRefusal(hostname, hostname, policy) : null;
}
