import type { RequestHandler, Response } from 'express';
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
    limiter('credential', settings.gateway.rateLimit, (caller) => caller.credential.id, 'this API key (MREG_GATEWAY_RATE_LIMIT)'),
    limiter('tenant', settings.gateway.tenantRateLimit, (caller) => caller.tenant.tenantId, 'this tenant (MREG_GATEWAY_TENANT_RATE_LIMIT)'),
  ];
}

/** Refused bearer credentials a minute per client address on /mcp and /mcp/<slug>, before MREG looks the next one up. */
export const MCP_REFUSED_CREDENTIALS_PER_MINUTE = 300;

/**
 * Before requireBearer: at most MCP_REFUSED_CREDENTIALS_PER_MINUTE requests a minute per address
 * that end refused for their credential (401, or 400 for a malformed header), so that guessing keys
 * is slow and made-up keys cannot make MREG query the database at will; accepted ones do not count.
 */
export function mcpRefusedCredentialLimit({ cache, onRefused }: { cache: Cache; onRefused(): void }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: MCP_REFUSED_CREDENTIALS_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'mcp-refused',
    store: rateLimitStore(cache, 'mcp-refused') ?? new MemoryStore(),
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401 && res.statusCode !== 400,
    handler: (_req, res) => {
      onRefused();
      jsonRpcRefusal(res, 429, `Too many refused credentials from this address: at most ${MCP_REFUSED_CREDENTIALS_PER_MINUTE} a minute. Try again in ${res.getHeader('retry-after')} s.`);
    },
  });
}
