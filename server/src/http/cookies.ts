import type { CookieOptions } from 'express';

/**
 * MREG's own cookies (DESIGN.md, security model): HttpOnly, SameSite=Lax, Path=/, and Secure with
 * the `__Host-` prefix whenever the public URL is https.
 */
export interface CookiePolicy {
  session: string;
  /** Binds a sign-in in progress to the browser that started it. */
  signIn: string;
  options(maxAgeMs?: number): CookieOptions;
}

export function cookiePolicy(publicUrl: URL): CookiePolicy {
  const secure = publicUrl.protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  return {
    session: `${prefix}mreg_session`,
    signIn: `${prefix}mreg_sign_in`,
    options: (maxAgeMs) => ({
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
    }),
  };
}
