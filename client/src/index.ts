import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@mreg/server/router';
import { CSRF_HEADER, TRPC_MAX_BATCH_SIZE, type ErrorReason } from '@mreg/shared';

export type { AppRouter };
export { TRPCClientError };

export interface MregClientOptions {
  /**
   * The session cookie's value, for a tool outside a browser (the browser sends its own cookie and
   * must not set this). Copy it from the browser's developer tools: the cookie `mreg_session`, or
   * `__Host-mreg_session` when MREG is served over https.
   */
  sessionToken?: string;
  /** Called once for every call that the server answers UNAUTHORIZED (no session, expired, or revoked). */
  onUnauthorized?: (error: TRPCClientError<AppRouter>) => void;
  /** Another fetch, such as one with a proxy or a timeout. */
  fetch?: typeof fetch;
}

/** True when a tRPC error means "not signed in": no session, or it expired or was revoked. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}

/**
 * Why MREG refused a call, for the refusals a program acts on (`'last_admin'`, `'home_tenant'`...,
 * ErrorReason in @mreg/shared), else undefined: switch on it, never on the message's words.
 */
export function errorReason(error: unknown): ErrorReason | undefined {
  return error instanceof TRPCClientError ? (error as TRPCClientError<AppRouter>).data?.reason : undefined;
}

/** Passes every answer on, and tells `onUnauthorized` about each UNAUTHORIZED one first. */
function unauthorizedLink(onUnauthorized: (error: TRPCClientError<AppRouter>) => void): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            if (isUnauthorized(error)) onUnauthorized(error);
            observer.error(error);
          },
          complete: () => observer.complete(),
        }),
      );
}

/**
 * MREG's typed API: `await client.auth.sessions.query()`, `await client.auth.updateProfile.mutate({...})`.
 * `baseUrl` is MREG's public URL, MREG_PUBLIC_URL ("https://mreg.example.com"; "" in the SPA, for
 * its own origin): the cookie's name and the Origin that state changes must show follow from it,
 * so an internal address behind a proxy would be refused. Calls are batched and send the CSRF
 * header; with `sessionToken`, also the session cookie and that Origin (a browser sends both
 * itself), and a redirect is an error rather than followed, so the token goes nowhere else.
 */
export function createMregClient(baseUrl: string, options: MregClientOptions = {}) {
  const base = baseUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const headers: Record<string, string> = { [CSRF_HEADER]: '1' };
  if (options.sessionToken !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(options.sessionToken)) {
      throw new Error('sessionToken must be the value of the session cookie (letters, digits, - and _ only)');
    }
    headers.cookie = `${secure ? '__Host-' : ''}mreg_session=${options.sessionToken}`;
    headers.origin = new URL(base).origin;
  }
  const send = options.fetch ?? fetch;
  return createTRPCClient<AppRouter>({
    links: [
      ...(options.onUnauthorized ? [unauthorizedLink(options.onUnauthorized)] : []),
      httpBatchLink({
        url: `${base}/trpc`,
        // MREG refuses a larger batch whole: more calls at once go in several requests.
        maxItems: TRPC_MAX_BATCH_SIZE,
        headers: () => headers,
        // Same-origin cookies only: the SPA's session never goes to another site.
        fetch: (input, init) => send(input, { ...init, credentials: 'same-origin', ...(options.sessionToken !== undefined && { redirect: 'error' }) }),
      }),
    ],
  });
}

export type MregClient = ReturnType<typeof createMregClient>;
