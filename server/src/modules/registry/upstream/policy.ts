import type { ServerAuthInput } from '@mreg/shared';

/** An upstream MCP server as MREG reaches it: its Streamable HTTP URL and MREG's own credential for it. */
export interface UpstreamTarget {
  url: string;
  auth: ServerAuthInput;
}

/** One resolved address, as `dns.lookup(host, { all: true })` answers. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Where upstreams may point, and how far MREG goes for each (DESIGN.md, "Security model"). */
export interface UpstreamPolicy {
  /** Private (RFC 1918, fc00::/7, CGNAT 100.64/10...) and loopback ranges allowed. */
  allowPrivate: boolean;
  /** Host names (lowercase) allowed whatever they resolve to, except the always-refused ranges. */
  allowedHosts: readonly string[];
  connectTimeoutMs: number;
  /** Each MCP request (initialize, each page of a list, ping). */
  requestTimeoutMs: number;
  /** Per HTTP response body: a JSON answer or a POST's event stream whole, a listening stream per event. */
  maxResponseBytes: number;
  /** Per list (tools, resources, resource templates, prompts). */
  maxCatalogueItems: number;
  /** The whole catalogue as JSON. */
  maxCatalogueBytes: number;
  /** Requests in flight to one upstream origin from this process. */
  maxConcurrentPerUpstream: number;
  /** The whole of discover() (initialize and every page); 4 x requestTimeoutMs when left out. */
  discoverTimeoutMs?: number;
  /** Resolves host names at connection time; the system resolver when left out (tests inject their own). */
  lookup?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
}

export type AddressPolicy = Pick<UpstreamPolicy, 'allowPrivate' | 'allowedHosts'>;

/** The values the brief suggests; the server builds its policy from its settings. */
export const UPSTREAM_POLICY_DEFAULTS: UpstreamPolicy = {
  allowPrivate: false,
  allowedHosts: [],
  connectTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxResponseBytes: 4 * 1024 * 1024,
  maxCatalogueItems: 1000,
  maxCatalogueBytes: 2 * 1024 * 1024,
  maxConcurrentPerUpstream: 4,
};
