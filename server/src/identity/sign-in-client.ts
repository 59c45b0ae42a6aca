import { ConfidentialClientApplication, ProtocolMode, type Configuration } from '@azure/msal-node';
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import { z } from 'zod';
import { cleanName } from '@mreg/shared';
import { SignInError } from './errors';
import { msalNetworkClient, OutboundRequestRefused, type OutboundFetch } from './network';

/** An OpenID provider's endpoints, as msal's `authorityMetadata` and jose need them. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

export interface ProviderDescription {
  kind: 'entra-id' | 'development';
  /** The authority string msal is given. It never fetches it: `metadata` is given too. */
  authority: string;
  metadata: ProviderMetadata;
  clientId: string;
  clientSecret: string;
  /** The issuer an id_token must carry; Entra ID's multi-tenant issuer depends on the token's tid. */
  expectedIssuer(tid: string): string;
  /** Offered after logout, to end the provider's own session too. */
  endSessionUrl: string | null;
}

/** Who signed in, from a verified id_token. */
export interface IdentityClaims {
  /** Entra ID object id: the user's stable id. */
  oid: string;
  /** Entra ID tenant id: the user's home tenant. */
  tid: string;
  email: string;
  name: string;
  roles: string[];
  tenantName: string | undefined;
}

/** users.name and tenants.name hold 255 characters. */
const NAME_MAX_LENGTH = 255;
/** An email address: at most 320 characters (RFC 3696), as users.email holds. */
const EMAIL_MAX_LENGTH = 320;

const ZIdTokenClaims = z.object({
  oid: z.string().min(1).max(100),
  tid: z.string().min(1).max(100),
  email: z.string().max(EMAIL_MAX_LENGTH).optional(),
  preferred_username: z.string().max(EMAIL_MAX_LENGTH).optional(),
  name: z.string().max(255).optional(),
  roles: z.array(z.string().max(100)).max(100).optional(),
  tenant_display_name: z.string().max(255).optional(),
});

export interface SignInClient {
  readonly kind: ProviderDescription['kind'];
  readonly endSessionUrl: string | null;
  /** The provider's authorization URL for this request (code flow, PKCE S256). */
  authorizationUrl(request: { state: string; nonce: string; codeChallenge: string }): Promise<string>;
  /** Redeems the code through msal, then verifies the id_token; throws SignInError. */
  redeemCode(request: {
    code: string;
    returnedState: string;
    expectedState: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<{ claims: IdentityClaims; accessToken: string }>;
}

const SCOPES = ['openid', 'profile', 'email'];

export function createSignInClient(options: {
  provider: ProviderDescription;
  redirectUri: string;
  outbound: OutboundFetch;
  logger: Logger;
}): SignInClient {
  const { provider, redirectUri, outbound, logger } = options;
  const authorityHost = new URL(provider.authority).host;
  const config: Configuration = {
    auth: {
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      authority: provider.authority,
      // With the host known and the metadata given, msal contacts neither the authority's discovery
      // document nor Microsoft's instance discovery: only the token endpoint (STACK.md).
      knownAuthorities: [authorityHost],
      authorityMetadata: JSON.stringify(provider.metadata),
    },
    system: {
      networkClient: msalNetworkClient(outbound),
      protocolMode: provider.kind === 'development' ? ProtocolMode.OIDC : ProtocolMode.AAD,
      loggerOptions: {
        piiLoggingEnabled: false,
        loggerCallback: (_level, message) => logger.debug({ msal: message }, 'msal'),
      },
    },
  };
  const msal = new ConfidentialClientApplication(config);
  const jwks = createRemoteJWKSet(new URL(provider.metadata.jwks_uri), {
    [customFetch]: outbound,
    timeoutDuration: 5000,
  });

  async function verifyIdToken(idToken: string, nonce: string): Promise<IdentityClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        audience: provider.clientId,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat', 'iss', 'nonce'],
        clockTolerance: 60,
      }));
    } catch (error) {
      if (error instanceof OutboundRequestRefused || error instanceof joseErrors.JWKSTimeout) {
        throw new SignInError('provider_unreachable', `JWKS: ${(error as Error).message}`, { cause: error });
      }
      throw new SignInError('invalid_token', (error as Error).message, { cause: error });
    }
    const claims = ZIdTokenClaims.safeParse(payload);
    if (!claims.success) {
      throw new SignInError('invalid_token', `claims: ${claims.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    }
    if (payload.iss !== provider.expectedIssuer(claims.data.tid)) {
      throw new SignInError('invalid_token', `unexpected issuer ${JSON.stringify(payload.iss)}`);
    }
    if (payload.nonce !== nonce) throw new SignInError('nonce_mismatch', 'id_token nonce differs from the request');
    const c = claims.data;
    // Names and addresses others see are cleaned as a display name is checked (NFKC, nothing
    // invisible, at most the column's length), but left out rather than refused: the person cannot
    // change them here, and a sign-in must not fail over them. One with nothing visible falls back.
    const shown = (text: string | undefined, max = NAME_MAX_LENGTH) => (text === undefined ? '' : cleanName(text, max));
    return {
      oid: c.oid,
      tid: c.tid,
      email: shown(c.email, EMAIL_MAX_LENGTH) || shown(c.preferred_username, EMAIL_MAX_LENGTH),
      name: [c.name, c.preferred_username, c.email].map((text) => shown(text)).find(Boolean) ?? c.oid,
      roles: c.roles ?? [],
      tenantName: shown(c.tenant_display_name) || undefined,
    };
  }

  return {
    kind: provider.kind,
    endSessionUrl: provider.endSessionUrl,
    authorizationUrl: ({ state, nonce, codeChallenge }) =>
      msal.getAuthCodeUrl({
        scopes: SCOPES,
        redirectUri,
        state,
        nonce,
        codeChallenge,
        codeChallengeMethod: 'S256',
        responseMode: 'query',
        // Let the person choose the account each time, so that signing out and in again can change user.
        prompt: 'select_account',
      }),
    async redeemCode({ code, returnedState, expectedState, nonce, codeVerifier }) {
      let result;
      try {
        // Both arguments, so that msal compares the returned state with ours (STACK.md).
        result = await msal.acquireTokenByCode(
          { code, scopes: SCOPES, redirectUri, codeVerifier, nonce, state: expectedState },
          { code, state: returnedState },
        );
      } catch (error) {
        throw msalFailure(error);
      }
      // msal keeps every account and token in its in-memory cache; MREG keeps its own sessions.
      if (result.account) await msal.getTokenCache().removeAccount(result.account);
      if (!result.idToken) throw new SignInError('invalid_token', 'no id_token in the token response');
      return { claims: await verifyIdToken(result.idToken, nonce), accessToken: result.accessToken };
    },
  };
}

function msalFailure(error: unknown): SignInError {
  const e = error as { errorCode?: string; errorMessage?: string; message?: string; cause?: unknown };
  const detail = `msal ${e.errorCode ?? 'error'}: ${e.errorMessage ?? e.message ?? String(error)}`;
  switch (e.errorCode) {
    case 'state_mismatch':
    case 'invalid_state':
      return new SignInError('state_mismatch', detail, { cause: error });
    case 'nonce_mismatch':
      return new SignInError('nonce_mismatch', detail, { cause: error });
    case 'invalid_grant':
      return new SignInError('code_rejected', detail, { cause: error });
    case 'network_error':
    case 'no_network_connectivity':
      return new SignInError('provider_unreachable', detail, { cause: error });
  }
  if (error instanceof OutboundRequestRefused || (e.cause instanceof Error && e.cause.name === 'TimeoutError')) {
    return new SignInError('provider_unreachable', detail, { cause: error });
  }
  return new SignInError('provider_error', detail, { cause: error });
}

const ENTRA_HOST = 'login.microsoftonline.com';

/** Entra ID's endpoints, known in advance, so that msal needs no discovery request. */
export function entraProvider(
  entra: { tenantId: string; clientId: string; clientSecret: string },
  publicUrl: URL,
): ProviderDescription {
  const base = `https://${ENTRA_HOST}/${entra.tenantId}`;
  const endSession = new URL(`${base}/oauth2/v2.0/logout`);
  endSession.searchParams.set('post_logout_redirect_uri', new URL('/', publicUrl).href);
  // "common" and "organizations" authorities issue tokens from each user's own tenant.
  const multiTenant = ['common', 'organizations', 'consumers'].includes(entra.tenantId.toLowerCase());
  return {
    kind: 'entra-id',
    authority: base,
    metadata: {
      issuer: multiTenant ? `https://${ENTRA_HOST}/{tenantid}/v2.0` : `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    },
    clientId: entra.clientId,
    clientSecret: entra.clientSecret,
    expectedIssuer: (tid) => (multiTenant ? `https://${ENTRA_HOST}/${tid}/v2.0` : `${base}/v2.0`),
    endSessionUrl: endSession.href,
  };
}
