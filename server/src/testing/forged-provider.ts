import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { ProviderDescription } from '../identity/sign-in-client';

/**
 * An OpenID provider on loopback whose token endpoint answers with whatever id_token the test
 * forged: for the failures a well-behaved provider never produces (bad signature, wrong audience,
 * expired token). It speaks real HTTP to the real msal client and jose.
 */
export interface ForgedProvider {
  description: ProviderDescription;
  issuer: string;
  /** Claims a good token for `nonce` would carry. */
  claims(nonce: string, extra?: JWTPayload): JWTPayload;
  /** Signs with the provider's published key, or with a key it never published. */
  sign(claims: JWTPayload, options?: { unpublishedKey?: boolean }): Promise<string>;
  /** What the next token request answers with. */
  nextIdToken: (() => Promise<string>) | undefined;
  tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

export async function startForgedProvider(): Promise<ForgedProvider> {
  const published = await generateKeyPair('RS256');
  const unpublished = await generateKeyPair('RS256');
  const kid = 'forged-key';
  const jwks = { keys: [{ ...(await exportJWK(published.publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const clientId = 'forged-client';

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/forged/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      return;
    }
    if (url.pathname === '/forged/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      forged.tokenRequests.push(new URLSearchParams(body));
      const idToken = await forged.nextIdToken?.();
      res.writeHead(idToken ? 200 : 400, { 'content-type': 'application/json' }).end(
        JSON.stringify(
          idToken
            ? { token_type: 'Bearer', access_token: randomBytes(16).toString('hex'), expires_in: 3600, scope: 'openid profile email', id_token: idToken }
            : { error: 'invalid_grant', error_description: 'no token prepared' },
        ),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `http://${host}/forged`;

  const forged: ForgedProvider = {
    issuer,
    description: {
      kind: 'development',
      authority: `https://${host}/forged`,
      metadata: {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
      },
      clientId,
      clientSecret: 'forged-secret',
      expectedIssuer: () => issuer,
      endSessionUrl: null,
    },
    claims: (nonce, extra = {}) => ({
      iss: issuer,
      aud: clientId,
      sub: 'forged-oid',
      oid: 'forged-oid',
      tid: 'forged-tenant',
      email: 'forged@example.test',
      name: 'Forged Person',
      roles: [],
      nonce,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 3600,
      ...extra,
    }),
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .sign(options.unpublishedKey ? unpublished.privateKey : published.privateKey),
    nextIdToken: undefined,
    tokenRequests: [],
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return forged;
}
