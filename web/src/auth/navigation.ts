import { navigate } from 'wouter/use-browser-location';
import { ZReturnTo } from '@mreg/shared';

/** Pages anyone may see; everything else needs a session. */
const PUBLIC_PATHS = new Set(['/', '/sign-in']);

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path);
}

/** Where the person is now, to come back to after signing in. */
export function currentLocation(): string {
  return window.location.pathname + window.location.search;
}

/**
 * A usable returnTo: what the server's /auth/login accepts (a path on this site, no control
 * characters), and never a public page (those bounce to the dashboard anyway).
 */
export function safeReturnTo(value: string | null | undefined): string {
  if (!ZReturnTo.safeParse(value).success) return '/dashboard';
  const path = value!.split(/[?#]/, 1)[0]!;
  return isPublicPath(path) ? '/dashboard' : value!;
}

/** The server's sign-in route, which comes back to `returnTo` afterwards. */
export function loginHref(returnTo: string): string {
  return `/auth/login?returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`;
}

/** The app's sign-in page, saying why (the session ended, or the person signed out) and where sign-in will lead back to. */
export function signInPagePath(returnTo: string, reason?: 'ended' | 'signed-out'): string {
  const params = new URLSearchParams({ returnTo: safeReturnTo(returnTo) });
  if (reason) params.set('reason', reason);
  return `/sign-in?${params}`;
}

/**
 * Whether this browser was signed in when it last looked, and has not signed out since (any tab):
 * a page that then finds no session says the session ended (elsewhere, or by time) instead of
 * asking to sign in as if for the first time. localStorage, so that a sign-out in another tab
 * counts; where it is unavailable, the plain sign-in page is shown.
 */
const SIGNED_IN_MARK = 'mreg.signed-in';
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
export const rememberSignedIn = () => storage()?.setItem(SIGNED_IN_MARK, '1');
export const forgetSignedIn = () => storage()?.removeItem(SIGNED_IN_MARK);
export const wasSignedIn = () => storage()?.getItem(SIGNED_IN_MARK) === '1';

/** After a 401 that ended the session: to the sign-in page, saying so, to come back here afterwards. */
export function sendToSignIn(reason: 'ended'): void {
  navigate(signInPagePath(currentLocation(), reason), { replace: true });
}
