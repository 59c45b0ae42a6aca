import { createHash, randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthConsent } from '@mreg/shared';
import type { CookieClient } from './cookie-client';
import { trpcMutation, trpcQuery } from './sign-in';

/**
 * An MCP client's side of OAuth for the tests: the SDK's OAuthClientProvider kept in memory (what
 * a real client stores on disk), and the person's part (the consent page's procedures) done with a
 * signed-in CookieClient instead of a browser.
 */
export class MemoryOAuthProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier: string | undefined;
  /** Where the client sent the person last (the authorization URL). */
  authorizationUrl: URL | undefined;
  /** The state the client sends, when the test fixes it (else the SDK makes one). */
  readonly state?: () => string;

  constructor(
    readonly redirectUrl = 'http://127.0.0.1:9/callback',
    /** null: the client gives no name. */
    readonly name: string | null = 'Test MCP client',
    fixedState?: string,
  ) {
    if (fixedState !== undefined) this.state = () => fixedState;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      ...(this.name === null ? {} : { client_name: this.name }),
      redirect_uris: [this.redirectUrl],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
}

/** A PKCE pair (RFC 7636, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Follows /authorize to the consent page; answers the request id, or the redirect MREG sent instead. */
export async function openAuthorization(authorizationUrl: URL | string): Promise<{ requestId: string | null; location: string; status: number }> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location') ?? '';
  const consent = location ? new URL(location, authorizationUrl) : null;
  const requestId = consent?.pathname === '/oauth/consent' ? consent.searchParams.get('request') : null;
  return { requestId, location, status: response.status };
}

export interface Decision {
  consent: OAuthConsent;
  /** The client's redirect URI with code and state (or error). */
  redirect: URL;
}

/** The person's answer on the consent page, as the page sends it: oauth.consent, then oauth.decide. */
export async function answerConsent(person: CookieClient, baseUrl: string, requestId: string, answer: { approve: boolean; tenantId?: string }): Promise<Decision> {
  const shown = await trpcQuery(person, baseUrl, 'oauth.consent', { requestId });
  if (!shown.body.result) throw new Error(`oauth.consent answered ${shown.status}: ${JSON.stringify(shown.body)}`);
  const decided = await trpcMutation(person, baseUrl, 'oauth.decide', { requestId, ...answer });
  if (!decided.body.result) throw new Error(`oauth.decide answered ${decided.status}: ${JSON.stringify(decided.body)}`);
  return { consent: shown.body.result.data as OAuthConsent, redirect: new URL((decided.body.result.data as { redirectTo: string }).redirectTo) };
}

/** The whole person's part: /authorize, consent, approval for `tenantId`; answers the code. */
export async function approve(person: CookieClient, baseUrl: string, authorizationUrl: URL | string, tenantId: string): Promise<{ code: string; decision: Decision }> {
  const { requestId, location } = await openAuthorization(authorizationUrl);
  if (!requestId) throw new Error(`/authorize did not lead to the consent page but to ${location}`);
  const decision = await answerConsent(person, baseUrl, requestId, { approve: true, tenantId });
  const code = decision.redirect.searchParams.get('code');
  if (!code) throw new Error(`no code in ${decision.redirect.href}`);
  return { code, decision };
}

/** A form POST to one of the authorization server's endpoints, as a client sends it. */
export async function postForm(url: string, fields: Record<string, string | undefined>): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Registers a public client (RFC 7591); answers the server's reply. */
export async function registerClient(baseUrl: string, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
