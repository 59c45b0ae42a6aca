import type { Request, RequestHandler, Response } from 'express';
import { LRUCache } from 'lru-cache';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import type { Cache } from '../cache/cache';
import { rateLimitStore } from '../cache/rate-limit';
import type { Settings } from '../config';
import type { BearerCaller } from '../modules/apikeys/caller';
import { callerOf } from './bearer';
import { jsonRpcRefusal } from './mcp-host';

/**
 * The rate limits of /mcp and /mcp/<slug> together, after requireBearer: MREG_GATEWAY_RATE_LIMIT
 * requests a minute per credential and MREG_GATEWAY_TENANT_RATE_LIMIT per tenant, counted in Redis
 * when the app has it (shared by the instances), else in the process. A refusal is 429 with
 * Retry-After and a JSON-RPC error naming the variable.
 */
export function mcpRateLimits({ settings, cache, onRefused }: { settings: Settings; cache: Cache; onRefused(): void }): RequestHandler[] {
  const limiter = (name: string, limit: number, key: (caller: BearerCaller) => string, who: string): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: `mcp-${name}`,
      store: rateLimitStore(cache, `mcp-${name}`) ?? new MemoryStore(),
      keyGenerator: (_req, res) => key(callerOf(res as Response)),
      handler: (_req, res) => {
        onRefused();
        jsonRpcRefusal(res, 429, `Too many MCP requests from ${who}: at most ${limit} a minute. Try again in ${res.getHeader('retry-after')} s.`);
      },
    });
  return [
    limiter('credential', settings.gateway.rateLimit, (caller) => caller.credential.id, 'this credential (MREG_GATEWAY_RATE_LIMIT)'),
    limiter('tenant', settings.gateway.tenantRateLimit, (caller) => caller.tenant.tenantId, 'this tenant (MREG_GATEWAY_TENANT_RATE_LIMIT)'),
  ];
}

/** Refused bearer credentials a minute per client address on /mcp and /mcp/<slug>. */
export const MCP_REFUSED_CREDENTIALS_PER_MINUTE = 300;

export interface RefusalGuard {
  /** Seconds until the address may try again, or undefined when it may now (no round trip: this instance's own record). */
  blocked(req: Request): number | undefined;
  /** Counts a refused credential of the address (in Redis when configured, so every instance's count together). */
  refused(req: Request): Promise<void>;
}

/**
 * At most MCP_REFUSED_CREDENTIALS_PER_MINUTE refused credentials a minute per address, so that
 * guessing keys is slow and made-up keys cannot make MREG query the database at will. Only refusals
 * are counted (accepted requests cost nothing); once an address is over, each instance that sees
 * one of its refusals turns it away itself until the window ends, before any lookup.
 */
export function refusedCredentialGuard(cache: Cache): RefusalGuard {
  const windowMs = 60_000;
  const store = rateLimitStore(cache, 'mcp-refused') ?? new MemoryStore();
  store.init?.({ windowMs } as never);
  const blockedUntil = new LRUCache<string, number>({ max: 10_000 });
  const addressOf = (req: Request) => ipKeyGenerator(req.ip ?? '');
  return {
    blocked(req) {
      const until = blockedUntil.get(addressOf(req));
      if (until === undefined) return undefined;
      const left = until - Date.now();
      if (left > 0) return Math.ceil(left / 1000);
      blockedUntil.delete(addressOf(req));
      return undefined;
    },
    async refused(req) {
      const address = addressOf(req);
      const { totalHits, resetTime } = await store.increment(address);
      if (totalHits > MCP_REFUSED_CREDENTIALS_PER_MINUTE) blockedUntil.set(address, resetTime?.getTime() ?? Date.now() + windowMs);
    },
  };
}
