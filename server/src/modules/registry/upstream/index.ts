// PLACEHOLDER on branch i18-core only, replaced by branch i18-upstream's module at merge: the
// contract's signatures, so that the registry and the SPA typecheck meanwhile. Never on main.
import type { Catalogue, ServerAuthInput } from '@mreg/shared';

export interface UpstreamTarget {
  url: string;
  auth: ServerAuthInput;
}
export interface UpstreamPolicy {
  allowPrivate: boolean;
  allowedHosts: readonly string[];
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxCatalogueItems: number;
  maxCatalogueBytes: number;
  maxConcurrentPerUpstream: number;
}
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
const pending = () => new Error('the upstream module is not merged yet');
export function urlRefusal(_url: string, _policy: Pick<UpstreamPolicy, 'allowPrivate' | 'allowedHosts'>): string | null {
  throw pending();
}
export function discover(_target: UpstreamTarget, _policy: UpstreamPolicy): Promise<{ ok: true; catalogue: Catalogue; latencyMs: number } | { ok: false; error: string }> {
  throw pending();
}
export function ping(_target: UpstreamTarget, _policy: UpstreamPolicy): Promise<{ ok: true; latencyMs: number } | { ok: false; error: string }> {
  throw pending();
}
export function watchListChanges(_target: UpstreamTarget, _policy: UpstreamPolicy, _onChange: () => void): { close(): Promise<void> } {
  throw pending();
}
