import type { Request, RequestHandler, Response } from 'express';
import { API_KEY_PREFIX, OAUTH_ACCESS_TOKEN_PREFIX, OAUTH_SCOPE } from '@mreg/shared';
import type { BearerCaller } from '../modules/apikeys/caller';
import type { KeyCheck } from '../modules/apikeys/apikeys.service';
import type { RefusalGuard } from './mcp-limits';
import { resourceMetadataUrl, resourceOfPath } from '../modules/oauth/resource';

/**
 * Bearer credentials (RFC 6750) for /mcp, /mcp/<slug> and /trpc: `Authorization: Bearer <API key>`
 * (issue 19), and on /mcp and /mcp/<slug> the access tokens MREG issued for that very resource
 * (issue 20). /mcp takes nothing else: never the browser cookie, which any page the person visits
 * could make their browser send. A 401 names the resource's metadata (RFC 9728), where an MCP client
 * finds MREG's authorization server.
 */

/** What a request's Authorization header holds. */
export type Presented = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'malformed'; message: string };

export function presentedCredential(req: Request): Presented {
  const header = req.headers.authorization;
  if (header === undefined) return { kind: 'none' };
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  if (!match) return { kind: 'malformed', message: 'The Authorization header must be "Bearer <token>"' };
  return { kind: 'bearer', token: match[1]! };
}

/** Where requireBearer leaves the caller for the routes after it. */
const CALLER = 'bearerCaller';

/** The caller requireBearer admitted; only for handlers mounted after it. */
export function callerOf(res: Response): BearerCaller {
  const caller = res.locals[CALLER] as BearerCaller | undefined;
  if (!caller) throw new Error('callerOf: no requireBearer before this route');
  return caller;
}

/** A quoted-string for WWW-Authenticate: no quotes or backslashes in MREG's own words. */
const quoted = (words: string) => `"${words.replace(/["\\]/g, "'")}"`;

export interface BearerOptions {
  authenticate(token: string): Promise<KeyCheck>;
  /** The browser session cookie's name, to say why it is not enough. */
  sessionCookie: string;
  /** Counts refused credentials per address, and turns away an address past its limit (429). */
  guard?: RefusalGuard;
  /** MREG's public URL: the resources (/mcp, /mcp/<slug>) are under it. */
  publicUrl: URL;
}

/**
 * Admits a request with a live bearer credential and puts its caller in res.locals; answers 401
 * with a WWW-Authenticate challenge (and the OAuth error in JSON) otherwise.
 */
export function requireBearer({ authenticate, sessionCookie, guard, publicUrl }: BearerOptions): RequestHandler {
  const refuse = (req: Request, res: Response, description: string, error?: 'invalid_token' | 'invalid_request') => {
    if (error) void guard?.refused(req).catch(() => undefined);
    const metadata = resourceMetadataUrl(resourceOfPath(req.path, publicUrl), publicUrl);
    const params = [`realm="MREG"`, `resource_metadata=${quoted(metadata)}`, `scope="${OAUTH_SCOPE}"`, ...(error ? [`error="${error}"`, `error_description=${quoted(description)}`] : [])];
    res.setHeader('WWW-Authenticate', `Bearer ${params.join(', ')}`);
    res.status(error === 'invalid_request' ? 400 : 401).json({ error: error ?? 'unauthorized', error_description: description });
  };
  const howTo = `sign in through your MCP client (OAuth), or send an API key as "Authorization: Bearer ${API_KEY_PREFIX}..." (make one on the API keys page)`;
  return async (req, res, next) => {
    const wait = guard?.blocked(req);
    if (wait !== undefined) {
      res.setHeader('Retry-After', String(wait));
      res.status(429).json({ error: 'too_many_requests', error_description: `Too many refused credentials from this address: try again in ${wait} s` });
      return;
    }
    const presented = presentedCredential(req);
    if (presented.kind === 'malformed') return refuse(req, res, presented.message, 'invalid_request');
    if (presented.kind === 'none') {
      const withCookie = req.cookies?.[sessionCookie] !== undefined;
      return refuse(req, res, withCookie ? `The browser session is not accepted here; ${howTo}` : `Send a credential: ${howTo}`);
    }
    const check = await authenticate(presented.token);
    if (!check.ok) return refuse(req, res, check.message, 'invalid_token');
    const { credential } = check.caller;
    const resource = resourceOfPath(req.path, publicUrl).url;
    // An access token is for the one resource it was issued for (RFC 8707): a token for /mcp is no
    // token for /mcp/<slug>, nor one for a server the other way round.
    if (credential.kind === 'oauth' && credential.resource !== resource) {
      return refuse(req, res, `The access token was issued for ${credential.resource}, not ${resource}`, 'invalid_token');
    }
    res.locals[CALLER] = check.caller;
    next();
  };
}

/** The check of every bearer credential MREG takes on /mcp: access tokens by their prefix, API keys otherwise. */
export function bearerAuthenticator(apiKey: (token: string) => Promise<KeyCheck>, accessToken: (token: string) => Promise<KeyCheck>): (token: string) => Promise<KeyCheck> {
  return (token) => {
    if (token.startsWith(OAUTH_ACCESS_TOKEN_PREFIX)) return accessToken(token);
    if (token.startsWith(API_KEY_PREFIX)) return apiKey(token);
    return Promise.resolve({
      ok: false,
      reason: 'malformed',
      message: `This is neither an MREG API key (${API_KEY_PREFIX}...) nor an access token MREG issued (${OAUTH_ACCESS_TOKEN_PREFIX}...)`,
    });
  };
}

/** How often a long-lived MCP stream checks its credential again. */
export const STREAM_RECHECK_MS = 5000;

/**
 * Whether the credential a request was admitted with would be admitted now, for the same tenant:
 * an event stream that stays open asks every STREAM_RECHECK_MS, as each request would, and ends
 * once the key is revoked or expired or its owner has left. A lookup that fails counts as refused.
 */
export async function stillAdmitted(req: Request, caller: BearerCaller, authenticate: (token: string) => Promise<KeyCheck>): Promise<boolean> {
  const presented = presentedCredential(req);
  if (presented.kind !== 'bearer') return false;
  try {
    const check = await authenticate(presented.token);
    return check.ok && check.caller.credential.id === caller.credential.id && check.caller.tenant.tenantId === caller.tenant.tenantId;
  } catch {
    return false;
  }
}

/** Runs `stillAdmitted` every STREAM_RECHECK_MS until `stop()`; `refused` once it answers false. */
export function watchAdmission(check: () => Promise<boolean>, refused: () => void): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void check()
      .then((admitted) => {
        if (!admitted) {
          clearInterval(timer);
          refused();
        }
      })
      .finally(() => (busy = false));
  }, STREAM_RECHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
