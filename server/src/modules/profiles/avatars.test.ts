import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVATAR_MAX_BYTES } from '@mreg/shared';
import { avatarRefusal, detectAvatarType } from './avatars.service';
import { gifImage, HTML_PAGE, jpegImage, pngImage, SVG_IMAGE, webpImage } from './test-images';
import { mergePreferences } from './profiles.service';

describe('detectAvatarType (from the bytes alone)', () => {
  it('recognises PNG, JPEG and WebP', () => {
    expect(detectAvatarType(pngImage())).toBe('image/png');
    expect(detectAvatarType(jpegImage())).toBe('image/jpeg');
    expect(detectAvatarType(webpImage())).toBe('image/webp');
  });

  it.each([
    ['GIF', gifImage(), 'a GIF image'],
    ['SVG', SVG_IMAGE, 'an SVG image'],
    ['HTML', HTML_PAGE, 'HTML or XML markup'],
    ['HTML after a BOM and blank lines', Buffer.from('\ufeff\n\n  <html><script>x</script>'), 'HTML or XML markup'],
    ['plain text', Buffer.from('just some words\n'), 'text'],
    ['PDF', Buffer.from('%PDF-1.7\n...'), 'a PDF document'],
    ['the PNG signature alone', pngImage().subarray(0, 8), 'a damaged PNG'],
    ['the PNG signature followed by HTML', Buffer.concat([pngImage().subarray(0, 8), HTML_PAGE]), 'a damaged PNG'],
    ['the JPEG start without a segment', Buffer.from([0xff, 0xd8, 0xff]), 'a damaged JPEG'],
    ['a RIFF WAVE file', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), 'a RIFF file that is not WebP'],
    ['random bytes', Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff, 0x00]), 'none of them'],
  ])('refuses %s, saying what it looks like', (_name, bytes, looksLike) => {
    expect(detectAvatarType(bytes)).toBeNull();
    const refusal = avatarRefusal(bytes);
    expect(refusal).toContain('must be a PNG, JPEG or WebP image');
    expect(refusal).toContain(looksLike);
    expect(refusal).toContain('not from its name or Content-Type');
  });

  it('refuses an empty body and one over 1 MiB, and takes exactly 1 MiB', () => {
    expect(avatarRefusal(Buffer.alloc(0))).toMatch(/empty/);
    const atLimit = Buffer.concat([pngImage(), Buffer.alloc(AVATAR_MAX_BYTES - pngImage().length)]);
    expect(atLimit.length).toBe(AVATAR_MAX_BYTES);
    expect(avatarRefusal(atLimit)).toBeNull();
    expect(avatarRefusal(Buffer.concat([atLimit, Buffer.from([0])]))).toMatch(/at most 1048576 bytes/);
  });

  it('answers every byte string with a type or a reason, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(Buffer.alloc(0), pngImage().subarray(0, 8), Buffer.from('RIFF')), (tail, head) => {
        const bytes = Buffer.concat([head, tail]);
        const type = detectAvatarType(bytes);
        const refusal = avatarRefusal(bytes);
        expect(type === null).toBe(refusal !== null);
      }),
    );
  });
});

describe('mergePreferences (one level deep)', () => {
  it('replaces given keys whole, removes keys given as null, keeps the rest', () => {
    expect(mergePreferences({ theme: { mode: 'dark', accent: 'blue' }, lang: 'en' }, { theme: { mode: 'light' }, lang: null, tz: 'UTC' })).toEqual({
      theme: { mode: 'light' },
      tz: 'UTC',
    });
    expect(mergePreferences({ a: 1 }, {})).toEqual({ a: 1 });
  });

  it('keeps "__proto__" a plain key, never a prototype', () => {
    const merged = mergePreferences({}, JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
