import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomOAuthError, InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAUTH_SCOPE } from '@mreg/shared';
import { audit } from '../audit/audit.writer';

/**
 * Clients MCP clients register for themselves (RFC 7591). Every one is public: it proves itself
 * with PKCE, never a secret (MREG answers `token_endpoint_auth_method: none` whatever was asked,
 * as RFC 7591 section 3.2.1 lets a server). Redirect URIs are https, http on a loopback address
 * (any port, RFC 8252), or an app's own scheme (`vscode:`, `cursor:`); never a fragment, and never
 * a scheme a browser would run or read (javascript:, data:, file:, ...).
 */

/** At most this many redirect URIs a client. */
export const MAX_REDIRECT_URIS = 10;
const MAX_REDIRECT_URI_LENGTH = 2000;
const MAX_CLIENT_NAME_LENGTH = 200;
/** The largest registration MREG keeps (it is read back at every /authorize and /token). */
export const MAX_CLIENT_METADATA_BYTES = 8 * 1024;
/** Client ids are the UUIDs the registration handler makes: anything else is no client, unread. */
const CLIENT_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Schemes that are never a redirect: they run script, read local data, or are not an app's. */
const REFUSED_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'filesystem:', 'view-source:', 'mailto:', 'tel:', 'sms:', 'ftp:', 'ws:', 'wss:', 'chrome:', 'chrome-extension:', 'intent:']);
const PRIVATE_SCHEME = /^[a-z][a-z0-9+.-]*:$/;

/** Why `uri` cannot be a redirect URI, or null when it can. */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (uri.includes('#')) return 'has a fragment (#), which a redirect URI may not have';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'holds a user name or password';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? null : 'uses http on a host other than 127.0.0.1, localhost or [::1]; use https';
  if (REFUSED_SCHEMES.has(url.protocol) || !PRIVATE_SCHEME.test(url.protocol)) return `uses the scheme ${url.protocol}, which is never a redirect`;
  return null;
}

/** Control and format characters (bidi overrides) are refused in names shown to people. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}]/u;

/**
 * The client as MREG keeps it, from what the registration handler parsed: public, code flow only,
 * with the one scope MREG grants. Throws the RFC 7591 error for metadata MREG refuses.
 */
export function registrableClient(info: Omit<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'> & { client_id?: string }): OAuthClientInformationFull {
  // PostgreSQL stores no NUL in text or jsonb: refused here, as bad metadata, not a failure later.
  if (JSON.stringify(info).includes('\\u0000')) throw new InvalidClientMetadataError('The registration holds a NUL character');
  if (Buffer.byteLength(JSON.stringify(info)) > MAX_CLIENT_METADATA_BYTES) throw new InvalidClientMetadataError(`The registration is larger than ${MAX_CLIENT_METADATA_BYTES} bytes`);
  const uris = info.redirect_uris;
  if (uris.length === 0) throw new CustomOAuthError('invalid_redirect_uri', 'redirect_uris must hold at least one URI');
  if (uris.length > MAX_REDIRECT_URIS) throw new CustomOAuthError('invalid_redirect_uri', `redirect_uris may hold at most ${MAX_REDIRECT_URIS} URIs`);
  for (const [index, uri] of uris.entries()) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new CustomOAuthError('invalid_redirect_uri', `redirect_uris[${index}] ${problem}`);
  }
  const name = info.client_name?.trim();
  if (name !== undefined && name.length > MAX_CLIENT_NAME_LENGTH) throw new InvalidClientMetadataError(`client_name is longer than ${MAX_CLIENT_NAME_LENGTH} characters`);
  if (name !== undefined && UNPRINTABLE.test(name)) throw new InvalidClientMetadataError('client_name holds control or formatting characters');
  if (info.grant_types && info.grant_types.some((type) => type !== 'authorization_code' && type !== 'refresh_token')) {
    throw new InvalidClientMetadataError('grant_types may only be authorization_code and refresh_token');
  }
  if (info.response_types && info.response_types.some((type) => type !== 'code')) throw new InvalidClientMetadataError('response_types may only be code');
  // No secrets, and no keys: a public client authenticates with nothing but PKCE.
  const { client_secret: _secret, client_secret_expires_at: _expires, jwks: _jwks, jwks_uri: _jwksUri, software_statement: _statement, issuer: _issuer, ...rest } = info;
  return {
    ...rest,
    client_id: info.client_id ?? randomUUID(),
    client_name: name || undefined,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: OAUTH_SCOPE,
  };
}

/**
 * Keeps a registration, with its audit event (oauth.client_registered): in no tenant yet, by nobody
 * known but the name the client gave itself.
 */
export async function saveClient(em: EntityManager, client: OAuthClientInformationFull, now: Date): Promise<OAuthClientInformationFull> {
  const stored = { ...client, client_id_issued_at: Math.floor(now.getTime() / 1000) };
  await em.transactional(async (tx) => {
    await tx.execute(`insert into oauth_clients (id, name, redirect_uris, metadata, created_at) values (?, ?, ?, ?, ?)`, [
      stored.client_id,
      stored.client_name ?? null,
      JSON.stringify(stored.redirect_uris),
      JSON.stringify(stored),
      now,
    ]);
    await audit(tx, {
      action: 'oauth.client_registered',
      tenantId: null,
      actor: { kind: 'anonymous', label: stored.client_name },
      target: { kind: 'oauth_client', id: stored.client_id, label: stored.client_name ?? null },
      details: { redirectHosts: [...new Set(stored.redirect_uris.map(redirectHost))] },
    });
  });
  return stored;
}

export async function findClient(em: EntityManager, clientId: string): Promise<OAuthClientInformationFull | undefined> {
  if (!CLIENT_ID_SHAPE.test(clientId)) return undefined;
  const [row] = await em.execute<{ metadata: OAuthClientInformationFull }[]>(`select metadata from oauth_clients where id = ?`, [clientId]);
  return row?.metadata;
}

/** Where a redirect URI sends the person, as the consent page names it: its host, or its scheme. */
export function redirectHost(uri: string): string {
  try {
    const url = new URL(uri);
    return url.host || url.protocol;
  } catch {
    return uri;
  }
}
