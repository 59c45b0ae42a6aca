import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { clientRegistrationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import { InvalidGrantError, InvalidTokenError, TooManyRequestsError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAUTH_SCOPE, SLUG_PATTERN } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import { rateLimitStore } from '../cache/rate-limit';
import type { Settings } from '../config';
import type { Database } from '../db/database';
import type { Clock } from '../lib/clock';
import { hashToken } from '../lib/tokens';
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
    // PKCE is checked in exchangeAuthorizationCode, after the code is taken (skipLocalPkceValidation).
    async challengeForAuthorizationCode(client, code) {
      const [row] = await em().execute<{ code_challenge: string }[]>(`select code_challenge from oauth_codes where code_hash = ? and client_id = ? and used_at is null`, [
        hashToken(code),
        client.client_id,
      ]);
      if (!row) throw new InvalidGrantError('The authorization code is unknown');
      return row.code_challenge;
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
  routes.use('/authorize', authorizationHandler({ provider, ...perMinute('authorization') }));
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

/** A body the handlers' parsers refused (too large, not JSON): the OAuth error shape, not the app's. */
const oauthBodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const status = typeof error?.status === 'number' ? error.status : 500;
  if (res.headersSent || status >= 500) return next(error);
  res.status(status).json({ error: 'invalid_request', error_description: error.type === 'entity.too.large' ? 'The request body is too large' : 'The request body could not be read' });
};
