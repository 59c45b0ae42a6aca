import { describe, expect, it } from 'vitest';
import { loginHref, safeReturnTo, signInPagePath } from './navigation';

describe('safeReturnTo', () => {
  it('keeps a path on this site, with its query', () => {
    expect(safeReturnTo('/members?x=1')).toBe('/members?x=1');
  });

  it.each([null, undefined, '', 'members', '//evil.example', '/\\evil.example', 'https://evil.example/', '/\t/evil.example', '/a\nb', `/${'x'.repeat(2048)}`])(
    'sends %j to the dashboard instead',
    (value) => expect(safeReturnTo(value)).toBe('/dashboard'),
  );

  it('never returns to a public page, which would bounce anyway', () => {
    expect(safeReturnTo('/sign-in?returnTo=%2Fprofile')).toBe('/dashboard');
    expect(safeReturnTo('/')).toBe('/dashboard');
  });
});

describe('the consent page as returnTo', () => {
  it('keeps the request id, so that sign-in comes back to the same request', () => {
    const consent = '/oauth/consent?request=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
    expect(safeReturnTo(consent)).toBe(consent);
    expect(new URLSearchParams(signInPagePath(consent).split('?')[1]).get('returnTo')).toBe(consent);
  });
});

describe('an invitation link as returnTo', () => {
  const invitation = '/invitations/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';

  it('comes back to the same link after sign-in', () => {
    expect(safeReturnTo(invitation)).toBe(invitation);
    expect(loginHref(invitation)).toBe(`/auth/login?returnTo=${encodeURIComponent(invitation)}`);
  });

  it('is kept across a sign-out meant to let the invited person sign in instead', () => {
    const params = new URLSearchParams(signInPagePath(invitation, 'signed-out').split('?')[1]);
    expect(params.get('returnTo')).toBe(invitation);
    expect(params.get('reason')).toBe('signed-out');
  });
});
