import { expect } from 'vitest';
import { CookieClient, type Hop } from './cookie-client';
import type { ErrorReason } from '@mreg/shared';

/**
 * Drives the development provider over HTTP as a browser would (DESIGN.md, development provider
 * contract): /auth/login, the provider's interaction page, the login form, back to /auth/callback.
 */
export interface ProviderVisit {
  client: CookieClient;
  /** The provider's interaction page, listing the demo users. */
  interactionUrl: string;
  interactionPage: Hop;
}

/** From /auth/login to the provider's interaction page. */
export async function startSignIn(baseUrl: string, client = new CookieClient(), loginPath = '/auth/login'): Promise<ProviderVisit> {
  const hops = await client.follow(`${baseUrl}${loginPath}`, (next) => next.pathname.includes('/dev-idp/interaction/'));
  const interactionUrl = hops.at(-1)?.location;
  if (!interactionUrl?.includes('/dev-idp/interaction/')) {
    throw new Error(`no interaction page: ${hops.map((h) => `${h.status} ${h.url} -> ${h.location}`).join('\n')}\n${hops.at(-1)?.body}`);
  }
  const interactionPage = await client.request(interactionUrl);
  expect(interactionPage.status).toBe(200);
  return { client, interactionUrl, interactionPage };
}

/** Picks a demo user on the interaction page; returns the callback URL the provider sends back to. */
export async function chooseUser(visit: ProviderVisit, email: string): Promise<string> {
  const posted = await visit.client.postForm(`${visit.interactionUrl}/login`, { email });
  if (!posted.location) throw new Error(`login form answered ${posted.status}: ${posted.body}`);
  const hops = await visit.client.follow(posted.location, (next) => next.pathname === '/auth/callback');
  const callback = hops.at(-1)?.location;
  if (!callback || new URL(callback).pathname !== '/auth/callback') {
    throw new Error(`provider did not return to the callback: ${hops.map((h) => `${h.status} ${h.url} -> ${h.location}`).join('\n')}\n${hops.at(-1)?.body}`);
  }
  return callback;
}

export interface SignedIn {
  client: CookieClient;
  /** The answer of /auth/callback. */
  callback: Hop;
  /** The session cookie's value. */
  token: string;
}

/** The whole sign-in of a demo user; the client ends up holding the session cookie. */
export async function signInAs(baseUrl: string, email: string, options: { client?: CookieClient; loginPath?: string; cookieName?: string } = {}): Promise<SignedIn> {
  const visit = await startSignIn(baseUrl, options.client, options.loginPath);
  const callbackUrl = await chooseUser(visit, email);
  const callback = await visit.client.request(callbackUrl);
  const name = options.cookieName ?? 'mreg_session';
  const cookie = callback.setCookies.find((c) => c.key === name);
  if (callback.status !== 303 || !cookie) throw new Error(`callback answered ${callback.status}: ${callback.body}`);
  return { client: visit.client, callback, token: cookie.value };
}

export interface TrpcAnswer {
  status: number;
  body: { result?: { data: unknown }; error?: { message: string; data: { code: string; reason?: ErrorReason; fieldErrors?: Record<string, string[]> } } };
  hop: Hop;
}

async function answer(hop: Hop): Promise<TrpcAnswer> {
  return { status: hop.status, body: JSON.parse(hop.body) as TrpcAnswer['body'], hop };
}

/** GET a tRPC query over plain HTTP, as any client would. */
export async function trpcQuery(client: CookieClient, baseUrl: string, path: string, input?: unknown): Promise<TrpcAnswer> {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return answer(await client.request(`${baseUrl}/trpc/${path}${query}`));
}

/** POST /auth/logout as the app's own pages do (Origin of the app, `x-mreg-csrf: 1`), asking for JSON. */
export function signOut(client: CookieClient, baseUrl: string): Promise<Hop> {
  return client.request(`${baseUrl}/auth/logout`, {
    method: 'POST',
    headers: { origin: new URL(baseUrl).origin, 'x-mreg-csrf': '1', accept: 'application/json' },
  });
}

/**
 * POST a tRPC mutation as the app's own pages do: Origin of the app and `x-mreg-csrf: 1`;
 * `headers` replace those (undefined drops one) to act as another site would.
 */
export async function trpcMutation(
  client: CookieClient,
  baseUrl: string,
  path: string,
  input?: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<TrpcAnswer> {
  const sent = Object.fromEntries(
    Object.entries({ origin: new URL(baseUrl).origin, 'x-mreg-csrf': '1', 'content-type': 'application/json', ...headers }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  return answer(
    await client.request(`${baseUrl}/trpc/${path}`, {
      method: 'POST',
      headers: sent,
      body: input === undefined ? undefined : JSON.stringify(input),
    }),
  );
}
