import { describe, expect, it } from 'vitest';
import { safeReturnTo, signInPagePath } from './navigation';

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
