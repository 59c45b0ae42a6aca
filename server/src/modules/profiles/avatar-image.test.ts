import { randomFillSync } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AVATAR_MAX_BYTES } from '@mreg/shared';
import { AppError } from '../../errors';
import { AVATAR_MAX_PIXELS, AVATAR_MAX_SIDE, reencodeAvatar } from './avatar-image';
import { jpegImage, pngImage, pngOfOneColour, webpImage } from './test-images';

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('accepted'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('BAD_REQUEST');
      return (error as AppError).message;
    },
  );

describe('reencodeAvatar', () => {
  it.each([
    ['PNG', 'image/png', pngImage(), 'png'],
    ['JPEG', 'image/jpeg', jpegImage(), 'jpeg'],
    ['WebP', 'image/webp', webpImage(), 'webp'],
  ] as const)('keeps a %s in its type, decoded and encoded again', async (_name, type, bytes, format) => {
    const stored = await reencodeAvatar(bytes, type);
    expect(await sharp(stored).metadata()).toMatchObject({ format, width: 1, height: 1 });
  });

  it(`shrinks to ${AVATAR_MAX_SIDE} pixels a side, keeping the shape, and never enlarges`, async () => {
    const wide = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#204080' } }).jpeg().toBuffer();
    expect(await sharp(await reencodeAvatar(wide, 'image/jpeg')).metadata()).toMatchObject({ width: 500, height: 250 });
    const small = await sharp({ create: { width: 40, height: 30, channels: 4, background: '#20408080' } }).webp().toBuffer();
    expect(await sharp(await reencodeAvatar(small, 'image/webp')).metadata()).toMatchObject({ width: 40, height: 30, hasAlpha: true });
  });

  it('turns the image upright as its EXIF orientation says, and drops the tag', async () => {
    // 20 × 10, to be shown turned 90° clockwise (orientation 6): 10 × 20.
    const sideways = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#cc3300' } }).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(sideways).metadata()).orientation).toBe(6);
    const stored = await sharp(await reencodeAvatar(sideways, 'image/jpeg')).metadata();
    expect(stored).toMatchObject({ width: 10, height: 20 });
    expect(stored.orientation).toBeUndefined();
    expect(stored.exif).toBeUndefined();
  });

  it('fits the largest PNG it can make within the 1 MiB the table holds (incompressible, 16-bit, with alpha)', async () => {
    const side = AVATAR_MAX_SIDE * 2;
    // Random 16-bit samples (sharp takes a Uint16Array as such).
    const samples = randomFillSync(new Uint16Array(side * side * 4));
    const deep = await sharp(samples, { raw: { width: side, height: side, channels: 4 } }).toColourspace('rgb16').png({ compressionLevel: 0 }).toBuffer();
    expect(await sharp(deep).metadata()).toMatchObject({ depth: 'ushort', channels: 4 });
    expect(deep.length).toBeGreaterThan(AVATAR_MAX_BYTES);
    const stored = await reencodeAvatar(deep, 'image/png');
    expect(stored.length).toBeLessThanOrEqual(AVATAR_MAX_BYTES);
    expect(await sharp(stored).metadata()).toMatchObject({ format: 'png', width: AVATAR_MAX_SIDE, height: AVATAR_MAX_SIDE, depth: 'uchar', channels: 4 });
  });

  it(`decodes up to ${AVATAR_MAX_PIXELS} pixels and refuses one more row from the header alone`, async () => {
    expect(await sharp(await reencodeAvatar(pngOfOneColour(4096, 4096), 'image/png')).metadata()).toMatchObject({ width: 500, height: 500 });
    expect(await refusal(reencodeAvatar(pngOfOneColour(4096, 4097), 'image/png'))).toBe(
      'The image is 4096 × 4097 pixels; an avatar may have at most 16777216 pixels (4096 × 4096)',
    );
  });

  it('refuses what does not decode as the type its first bytes declare', async () => {
    const png = pngImage();
    const cases: [Buffer, 'image/png' | 'image/jpeg' | 'image/webp', string][] = [
      [png.subarray(0, 33), 'image/png', 'PNG'], // signature and header, no pixels
      [Buffer.concat([png.subarray(0, 33), Buffer.from('<html><script>alert(1)</script></html>')]), 'image/png', 'PNG'],
      [jpegImage().subarray(0, 20), 'image/jpeg', 'JPEG'],
      [webpImage().subarray(0, 24), 'image/webp', 'WebP'],
      [png, 'image/jpeg', 'JPEG'], // sharp reads a PNG: not what the bytes were taken for
    ];
    for (const [bytes, type, name] of cases) {
      expect(await refusal(reencodeAvatar(bytes, type))).toBe(`The file starts like a ${name} image but cannot be read as one: it is damaged, cut short, or not an image`);
    }
  });
});
