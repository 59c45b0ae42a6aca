import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { roleFromAppRoles } from '../modules/users/users.service';
import { hashToken, isTokenShaped, newToken } from '../lib/tokens';
import { withListeningPort } from '../server';
import { testSettings } from '../testing/harness';
import { cookiePolicy } from './cookies';
import { csrfRefusal } from './csrf';
import { escapeHtml, html } from './pages';

const publicUrl = new URL('http://127.0.0.1:8000');
const request = (headers: Record<string, string>) =>
  ({ get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;

describe('csrfRefusal', () => {
  it('lets a same-origin request with the header through', () => {
    expect(csrfRefusal(request({ origin: 'http://127.0.0.1:8000', 'x-mreg-csrf': '1' }), publicUrl)).toBeNull();
    expect(csrfRefusal(request({ 'sec-fetch-site': 'same-origin', 'x-mreg-csrf': '1' }), publicUrl)).toBeNull();
  });

  it.each([
    [{ origin: 'http://evil.example', 'x-mreg-csrf': '1' }, /comes from http:\/\/evil.example/],
    [{ origin: 'http://127.0.0.1:8001', 'x-mreg-csrf': '1' }, /comes from/],
    [{ origin: 'null', 'x-mreg-csrf': '1' }, /comes from null/],
    [{ 'sec-fetch-site': 'cross-site', 'x-mreg-csrf': '1' }, /Sec-Fetch-Site is cross-site/],
    [{ 'x-mreg-csrf': '1' }, /no Origin header/],
    [{ origin: 'http://127.0.0.1:8000' }, /x-mreg-csrf: 1 is missing/],
    [{ origin: 'http://127.0.0.1:8000', 'x-mreg-csrf': 'true' }, /x-mreg-csrf: 1 is missing/],
  ])('refuses %j', (headers, reason) => {
    expect(csrfRefusal(request(headers), publicUrl)).toMatch(reason);
  });
});

describe('cookies', () => {
  it('are plain names over http and __Host- names with Secure over https', () => {
    expect(cookiePolicy(publicUrl)).toMatchObject({ session: 'mreg_session', signIn: 'mreg_sign_in' });
    expect(cookiePolicy(publicUrl).options(1000)).toEqual({ httpOnly: true, sameSite: 'lax', secure: false, path: '/', maxAge: 1000 });
    const https = cookiePolicy(new URL('https://mreg.example.com'));
    expect(https).toMatchObject({ session: '__Host-mreg_session', signIn: '__Host-mreg_sign_in' });
    expect(https.options()).toEqual({ httpOnly: true, sameSite: 'lax', secure: true, path: '/' });
  });
});

describe('tokens', () => {
  it('are 32 random bytes in base64url, stored as SHA-256 hex', () => {
    const token = newToken();
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(isTokenShaped(token)).toBe(true);
    expect(isTokenShaped(`${token}x`)).toBe(false);
    expect(isTokenShaped(undefined)).toBe(false);
  });
});

describe('roleFromAppRoles', () => {
  it('maps the admin app role to admin, viewer to viewer, anything else to member', () => {
    expect(roleFromAppRoles(['admin'])).toBe('admin');
    expect(roleFromAppRoles(['viewer', 'admin'])).toBe('admin');
    expect(roleFromAppRoles(['viewer'])).toBe('viewer');
    expect(roleFromAppRoles([])).toBe('member');
    expect(roleFromAppRoles(['Admin', 'readers'])).toBe('member');
  });
});

describe('pages', () => {
  it('escape every interpolation', () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe('&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
    const evil = '<img src=x onerror=alert(1)>';
    expect(html`<p>${evil}</p>`.value).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
  });
});

describe('withListeningPort', () => {
  it('puts the port taken into the public URL when MREG_PORT is 0 and no public URL is set', () => {
    expect(withListeningPort(testSettings(), 41234).publicUrl.href).toBe('http://127.0.0.1:41234/');
    const explicit = testSettings({ MREG_PUBLIC_URL: 'https://mreg.example.com', MREG_DEV_SIGN_IN: 'true' });
    expect(withListeningPort(explicit, 41234).publicUrl.href).toBe('https://mreg.example.com/');
    const fixed = testSettings({ MREG_PORT: '9000' });
    expect(withListeningPort(fixed, 9000)).toBe(fixed);
  });
});
