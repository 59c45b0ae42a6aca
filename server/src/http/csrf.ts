import type { Request } from 'express';
import { CSRF_HEADER } from '@mreg/shared';

/**
 * Why a cookie-authenticated state change must be refused, or null when it may go on: it must come
 * from the app's own origin (Origin, or Sec-Fetch-Site when Origin is absent) and carry
 * `x-mreg-csrf: 1`, which a cross-site page cannot send without a CORS preflight MREG never allows.
 */
export function csrfRefusal(req: Request, publicUrl: URL): string | null {
  const origin = req.get('origin');
  const site = req.get('sec-fetch-site');
  if (origin !== undefined) {
    if (origin !== publicUrl.origin) return `Refused: the request comes from ${origin}, not from ${publicUrl.origin}`;
  } else if (site !== 'same-origin') {
    return `Refused: the request does not show that it comes from ${publicUrl.origin} (no Origin header${site ? `, Sec-Fetch-Site is ${site}` : ''})`;
  }
  if (req.get(CSRF_HEADER) !== '1') return `Refused: the header ${CSRF_HEADER}: 1 is missing`;
  return null;
}
