import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { clientRegistrationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import { InvalidTokenError, ServerError, TooManyRequestsError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAUTH_SCOPE, SLUG_PATTERN } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import { rateLimitStore } from '../cache/rate-limit';
import type { Settings } from '../config';
import type { Database } from '../db/database';
import type { Clock } from '../lib/clock';
import { wordsFor } from '../i18n';
import { sendMessage } from './pages';
import type { KeyCheck } from '../modules/apikeys/apikeys.service';
import { findClient, registrableClient, saveClient } from '../modules/oauth/oauth.clients';
import { createAuthorizationRequest } from '../modules/oauth/oauth.consent';
import { exchangeCode, exchangeRefresh, revokeToken } from '../modules/oauth/oauth.exchange';

/**
 * MREG as the OAuth authorization server of MCP clients (issue 20; DESIGN.md, the MCP part), from
 * the MCP SDK's handlers, mounted at the origin root as the metadata says: RFC 8414 metadata,
 * RFC 9728 protected-resource metadata for /mcp and each /mcp/<slug>, RFC 7591 /register, /authorize
 * (code + PKCE S256, RFC 8707 resource), /token and RFC 7009 /revoke. The handlers' own rate
 * limits count in the shared store (MREG_OAUTH_RATE_LIMIT, MREG_OAUTH_REGISTRATION_RATE_LIMIT).
 */

export interface OAuthRouteDeps {
  settings: Settings;
  db: Database;
  cache: Cache;
  clock: Clock;
  /** Checks a bearer credential (the /mcp routes' own). */
  authenticate(token: string): Promise<KeyCheck>;
}

/** The authorization server's issuer: the public origin. */
export const issuerOf = (publicUrl: URL) => publicUrl.origin;

export function authorizationServerMetadata(publicUrl: URL): OAuthMetadata {
  const at = (path: string) => `${publicUrl.origin}${path}`;
  return {
    issuer: issuerOf(publicUrl),
    authorization_endpoint: at('/authorize'),
    token_endpoint: at('/token'),
    registration_endpoint: at('/register'),
    revocation_endpoint: at('/revoke'),
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    // Public clients only: PKCE, never a secret.
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [OAUTH_SCOPE],
    service_documentation: at('/'),
  };
}

export function protectedResourceMetadata(publicUrl: URL, slug: string | null): OAuthProtectedResourceMetadata {
  return {
    resource: `${publicUrl.origin}/mcp${slug === null ? '' : `/${slug}`}`,
    authorization_servers: [issuerOf(publicUrl)],
    scopes_supported: [OAUTH_SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: slug === null ? 'MREG: the servers of your tenant' : `MREG: the server ${slug} of your tenant`,
  };
}

export function oauthRoutes({ settings, db, cache, clock, authenticate }: OAuthRouteDeps): Router {
  const { publicUrl } = settings;
  const em = () => db.orm.em.fork();
  const exchange = { em: db.orm.em, cache, now: clock };
  const provider: OAuthServerProvider = {
    clientsStore: {
      getClient: (clientId) => findClient(em(), clientId),
      registerClient: (client) => saveClient(em(), registrableClient(client), clock()),
    },
    async authorize(client, params, res) {
      res.redirect(302, await createAuthorizationRequest(em(), publicUrl, client, params, clock()));
    },
    // Never called (skipLocalPkceValidation): exchangeCode checks PKCE once it has taken the code.
    challengeForAuthorizationCode() {
      return Promise.reject(new ServerError('PKCE is checked in exchangeAuthorizationCode'));
    },
    exchangeAuthorizationCode: (client, code, verifier, redirectUri, resource) => exchangeCode(exchange, client, code, verifier, redirectUri, resource),
    exchangeRefreshToken: (client, token, scopes, resource) => exchangeRefresh(exchange, client, token, scopes, resource),
    async verifyAccessToken(token) {
      const check = await authenticate(token);
      if (!check.ok || check.caller.credential.kind !== 'oauth') throw new InvalidTokenError(check.ok ? 'Not an access token' : check.message);
      const { credential } = check.caller;
      return { token, clientId: credential.clientId, scopes: [OAUTH_SCOPE], expiresAt: Math.floor(credential.expiresAt / 1000), resource: new URL(credential.resource) };
    },
    revokeToken: (client, request) => revokeToken(exchange, client, request),
    skipLocalPkceValidation: true,
  };

  const limited = (name: string, limit: number, windowMs: number, variable: string) => ({
    rateLimit: {
      windowMs,
      limit,
      store: rateLimitStore(cache, `oauth-${name}`),
      message: new TooManyRequestsError(`Too many ${name} requests from this address: at most ${limit} per ${windowMs === 60_000 ? 'minute' : 'hour'} (${variable})`).toResponseObject(),
    },
  });
  const perMinute = (name: string) => limited(name, settings.oauth.rateLimit, 60_000, 'MREG_OAUTH_RATE_LIMIT');

  const routes = Router();
  routes.use('/.well-known/oauth-authorization-server', metadataHandler(authorizationServerMetadata(publicUrl)));
  routes.use('/.well-known/oauth-protected-resource/mcp/:slug', serverMetadataRoute(publicUrl));
  routes.use('/.well-known/oauth-protected-resource/mcp', metadataHandler(protectedResourceMetadata(publicUrl, null)));
  routes.use('/authorize', readableRefusals, authorizationHandler({ provider, ...perMinute('authorization') }));
  routes.use('/token', tokenHandler({ provider, ...perMinute('token') }));
  routes.use('/revoke', revocationHandler({ provider, ...perMinute('revocation') }));
  routes.use(
    '/register',
    clientRegistrationHandler({
      clientsStore: provider.clientsStore,
      ...limited('registration', settings.oauth.registrationRateLimit, 3_600_000, 'MREG_OAUTH_REGISTRATION_RATE_LIMIT'),
    }),
  );
  routes.use(oauthBodyErrors);
  return routes;
}

/** RFC 9728 metadata of one /mcp/<slug>: any well-formed slug, so that it tells no one which exist. */
function serverMetadataRoute(publicUrl: URL): RequestHandler {
  return (req, res, next) => {
    const slug = typeof req.params.slug === 'string' ? req.params.slug : '';
    if (!SLUG_PATTERN.test(slug)) return next();
    metadataHandler(protectedResourceMetadata(publicUrl, slug))(req, res, next);
  };
}

/**
 * /authorize is a page the person's browser opens. What it refuses is a page in words, never JSON
 * and never a redirect: anyone may register a client with any redirect URI, and an error sent there
 * at once, before the person has seen anything, would make MREG's address an open redirector
 * (RFC 9700, section 4.11.2). The RFC's error code is on the page. Only the person's own answer on
 * the consent page (the code, or access_denied) goes back to the client.
 */
const readableRefusals: RequestHandler = (req, res, next) => {
  const refuse = (error: string, description: string | undefined) => {
    const words = wordsFor(req);
    sendMessage(res, 400, {
      words,
      title: words.say('oauth.couldNotStart'),
      text: words.say('oauth.startAgainText', { description: description ?? error }),
      reason: error,
    });
  };
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    const refusal = body as { error?: unknown; error_description?: unknown } | null;
    if (res.statusCode < 400 || typeof refusal?.error !== 'string') return json(body);
    refuse(refusal.error, typeof refusal.error_description === 'string' ? refusal.error_description : undefined);
    return res;
  };
  const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
  res.redirect = ((status: number | string, url?: string) => {
    const [code, target] = typeof status === 'string' ? [302, status] : [status, url!];
    const params = new URL(target, 'http://-').searchParams;
    const error = params.get('error');
    if (error === null) return redirect(code, target);
    refuse(error, params.get('error_description') ?? undefined);
  }) as typeof res.redirect;
  next();
};

/** A body the handlers' parsers refused (too large, not JSON): the OAuth error shape, not the app's. */
const oauthBodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const status = typeof error?.status === 'number' ? error.status : 500;
  if (res.headersSent || status >= 500) return next(error);
  res.status(status).json({ error: 'invalid_request', error_description: error.type === 'entity.too.large' ? 'The request body is too large' : 'The request body could not be read' });
};
