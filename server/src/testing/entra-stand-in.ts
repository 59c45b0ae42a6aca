import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { defaultFetch, loopbackOnlyFetch, type OutboundFetch } from '../identity/network';
import type { Transport } from './cookie-client';
import { listenLoopback, type LoopbackServer } from './mcp-upstreams';

/**
 * Entra ID on loopback, for tests that run MREG as separate processes configured for Entra ID (the
 * topology tests), as a multi-tenant app sees it: the real endpoints' paths
 * (`/organizations/oauth2/v2.0/authorize`, `…/token`, `/organizations/discovery/v2.0/keys`), the authorization code flow with PKCE S256 and the client
 * secret checked, and v2.0 id_tokens signed with a published key. Entra ID itself is the one part
 * these tests cannot run, so it is replaced at the HTTP boundary: MREG's outbound requests to
 * login.microsoftonline.com go here (`entraStandInFetch`), and so do the test browser's
 * (`transport`).
 */

export const ENTRA_ORIGIN = 'https://login.microsoftonline.com';

/** A person the stand-in signs in: their tenant (one of `tenants`), who they are there, and their app roles. */
export interface EntraPerson {
  tid: string;
  oid: string;
  email: string;
  name: string;
  roles?: string[];
}

export interface EntraStandIn extends LoopbackServer {
  /** Two organisations, both allowed: MREG is configured as a multi-tenant app (`organizations`). */
  tenants: [{ id: string; name: string }, { id: string; name: string }];
  clientId: string;
  clientSecret: string;
  /** The MREG_AZURE_* variables of an instance that signs in here. */
  env: Record<string, string>;
  /** A cookie client's transport: Entra ID's URLs come here, signed in as `person`; MREG's go as they are. */
  transport(person: EntraPerson): Transport;
  /** Codes redeemed so far (each once). */
  redeemed: number;
}

/** Header by which the test browser says who signs in (Entra ID's own sign-in pages are not played). */
const PERSON_HEADER = 'x-entra-stand-in-person';

interface PendingCode {
  person: EntraPerson;
  nonce: string;
  challenge: string;
  redirectUri: string;
  expiresAt: number;
}

export async function startEntraStandIn(): Promise<EntraStandIn> {
  const tenants: EntraStandIn['tenants'] = [
    { id: randomUUID(), name: 'Contoso' },
    { id: randomUUID(), name: 'Fabrikam' },
  ];
  const clientId = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const codes = new Map<string, PendingCode>();
  const base = '/organizations';

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server = await listenLoopback(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === `${base}/discovery/v2.0/keys`) return json(res, 200, jwks);
    if (req.method === 'GET' && url.pathname === `${base}/oauth2/v2.0/authorize`) {
      const q = url.searchParams;
      const person = req.headers[PERSON_HEADER];
      if (q.get('client_id') !== clientId || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('redirect_uri') || typeof person !== 'string') {
        return json(res, 400, { error: 'invalid_request', error_description: 'client_id, PKCE S256, redirect_uri and a person are needed' });
      }
      const code = randomBytes(24).toString('base64url');
      codes.set(code, {
        person: JSON.parse(Buffer.from(person, 'base64url').toString('utf8')) as EntraPerson,
        nonce: q.get('nonce') ?? '',
        challenge: q.get('code_challenge')!,
        redirectUri: q.get('redirect_uri')!,
        expiresAt: Date.now() + 60_000,
      });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === `${base}/oauth2/v2.0/token`) {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const pending = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return json(res, 401, { error: 'invalid_client' });
      if (!pending || pending.expiresAt < Date.now() || pending.challenge !== challenge || pending.redirectUri !== form.get('redirect_uri')) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'unknown, used or expired code, or a PKCE or redirect mismatch' });
      }
      stand.redeemed++;
      const { person, nonce } = pending;
      const idToken = await new SignJWT({
        ver: '2.0',
        oid: person.oid,
        tid: person.tid,
        tenant_display_name: tenants.find((t) => t.id === person.tid)?.name,
        nonce,
        name: person.name,
        email: person.email,
        preferred_username: person.email,
        roles: person.roles ?? [],
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(`${ENTRA_ORIGIN}/${person.tid}/v2.0`)
        .setAudience(clientId)
        .setSubject(person.oid)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      return json(res, 200, {
        token_type: 'Bearer',
        scope: 'openid profile email',
        expires_in: 3600,
        access_token: randomBytes(32).toString('base64url'),
        id_token: idToken,
        client_info: Buffer.from(JSON.stringify({ uid: person.oid, utid: person.tid })).toString('base64url'),
      });
    }
    json(res, 404, { error: 'not_found' });
  });

  const stand: EntraStandIn = {
    ...server,
    tenants,
    clientId,
    clientSecret,
    env: {
      MREG_AZURE_TENANT_ID: 'organizations',
      MREG_AZURE_ALLOWED_TENANTS: tenants.map((t) => t.id).join(','),
      MREG_AZURE_CLIENT_ID: clientId,
      MREG_AZURE_CLIENT_SECRET: clientSecret,
    },
    redeemed: 0,
    transport: (person): Transport => (target) => {
      const none: Record<string, string> = {};
      if (!target.startsWith(`${ENTRA_ORIGIN}/`)) return { url: target, headers: none };
      return { url: `${server.origin}${target.slice(ENTRA_ORIGIN.length)}`, headers: { [PERSON_HEADER]: Buffer.from(JSON.stringify(person)).toString('base64url') } };
    },
  };
  return stand;
}

/**
 * Sign-in's outbound fetch in an MREG process whose Entra ID is the stand-in at `standInUrl`: Entra
 * ID's URLs are sent there, and anything else that is not loopback is refused.
 */
export function entraStandInFetch(standInUrl: string): OutboundFetch {
  const guarded = loopbackOnlyFetch(defaultFetch).fetch;
  return (url, init) => guarded(url.startsWith(`${ENTRA_ORIGIN}/`) ? `${standInUrl}${url.slice(ENTRA_ORIGIN.length)}` : url, init);
}
