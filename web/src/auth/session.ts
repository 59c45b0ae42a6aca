import { useQuery } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { ZLogoutResult } from '@mreg/shared';
import { useTRPC } from '../trpc';

/** True when a tRPC error means "not signed in" (no session, expired, or revoked). */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}

/** The signed-in person (`auth.user`); `signedOut` once the server says there is no session. */
export function useSession() {
  const trpc = useTRPC();
  const query = useQuery(trpc.auth.user.queryOptions());
  return { ...query, signedOut: query.isError && isUnauthorized(query.error) };
}

/** Where the sign-in link goes: back to this page afterwards. */
export function signInHref(returnTo = window.location.pathname + window.location.search): string {
  return `/auth/login?returnTo=${encodeURIComponent(returnTo)}`;
}

/** Ends the session on the server, then leaves (to the provider's end-session page when it has one). */
export async function signOut(): Promise<void> {
  const response = await fetch('/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'x-mreg-csrf': '1', accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`Sign-out failed (${response.status})`);
  const result = ZLogoutResult.parse(await response.json());
  window.location.assign(result.endSessionUrl ?? '/');
}
