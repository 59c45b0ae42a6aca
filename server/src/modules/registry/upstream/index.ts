/**
 * MREG's MCP client for upstream servers (issue 18): bounded in time and size, SSRF-guarded at save
 * time (urlRefusal) and at every connection. Upstream problems never throw: they come back as
 * `{ ok: false, error }` in words a tenant admin understands, without the upstream's credential.
 */
export { discover, ping, type DiscoverResult, type PingResult } from './discover';
export { UPSTREAM_POLICY_DEFAULTS, type ResolvedAddress, type UpstreamPolicy, type UpstreamTarget } from './policy';
export { urlRefusal } from './ssrf';
export { watchListChanges, type ListWatcher, type WatchOptions } from './watch';
