import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@mreg/server/router';

export type { AppRouter };
export { TRPCClientError };

/** The header MREG requires on every cookie-authenticated state change (DESIGN.md, security model). */
export const CSRF_HEADER = 'x-mreg-csrf';

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
 * `baseUrl` is where MREG is served ("https://mreg.example.com"; "" in the SPA, for its own origin).
 * Calls are batched, send the CSRF header, and, with `sessionToken`, the session cookie and the
 * Origin MREG checks on state changes (a browser sends both itself).
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
        headers: () => headers,
        // Same-origin cookies only: the SPA's session never goes to another site.
        fetch: (input, init) => send(input, { ...init, credentials: 'same-origin' }),
      }),
    ],
  });
}

export type MregClient = ReturnType<typeof createMregClient>;
