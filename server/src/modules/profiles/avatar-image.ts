import sharp, { type Metadata } from 'sharp';
import type { AvatarType } from '@mreg/shared';
import { AppError } from '../../errors';

/**
 * What an avatar is stored as: the upload decoded and encoded again with sharp (libvips), so that
 * only pixels survive. Bytes after the image's end (a script, an HTML page), metadata (EXIF with
 * GPS, comments, ICC profiles) and anything a decoder would skip are gone; a file that does not
 * decode is refused. sharp decodes on its own threads, off the event loop.
 */

/** Most pixels an upload may declare (4096 × 4096, 64 MiB as 8-bit RGBA): a larger one is never decoded. */
export const AVATAR_MAX_PIXELS = 4096 * 4096;
/**
 * Longest side of the stored image. Avatars are shown at 32 to 160 CSS pixels; 500 leaves room for
 * screens of three device pixels to one, and keeps the largest PNG possible (500 × 500 RGBA, 8 bits,
 * incompressible: about 1,000,600 bytes) within the 1 MiB that the avatars table holds.
 */
export const AVATAR_MAX_SIDE = 500;

// Each upload is read once: libvips' operation cache would only hold memory.
sharp.cache(false);

const FORMAT = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' } as const satisfies Record<AvatarType, string>;
const NAME = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' } as const satisfies Record<AvatarType, string>;

const unreadable = (type: AvatarType, cause: unknown) =>
  new AppError('BAD_REQUEST', `The file starts like a ${NAME[type]} image but cannot be read as one: it is damaged, cut short, or not an image`, { cause });

/**
 * The image in `bytes` (of `type`, as its first bytes declare) as it is stored: turned upright as
 * its EXIF orientation says, at most AVATAR_MAX_SIDE pixels a side, 8-bit sRGB, in the same type
 * (PNG and WebP keep transparency, JPEG stays a photograph's format), the first frame of an
 * animation only, and no metadata. Throws BAD_REQUEST for a file that does not decode as `type`, or
 * one that declares more than AVATAR_MAX_PIXELS.
 */
export async function reencodeAvatar(bytes: Buffer, type: AvatarType): Promise<Buffer> {
  const format = FORMAT[type];
  // failOn 'warning' (sharp's default, named here): a truncated or damaged image is refused, not stored half grey.
  const options = { failOn: 'warning', animated: false } as const;
  let metadata: Metadata;
  try {
    // The header alone, read without the pixel limit (which would refuse in words of its own).
    metadata = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch (cause) {
    throw unreadable(type, cause);
  }
  if (metadata.format !== format) throw unreadable(type, new Error(`sharp reads it as ${metadata.format}`));
  // Read from the header before any pixel is decoded: a decompression bomb stops here.
  if (metadata.width * metadata.height > AVATAR_MAX_PIXELS) {
    throw new AppError(
      'BAD_REQUEST',
      `The image is ${metadata.width} × ${metadata.height} pixels; an avatar may have at most ${AVATAR_MAX_PIXELS} pixels (4096 × 4096)`,
    );
  }
  const upright = sharp(bytes, { ...options, limitInputPixels: AVATAR_MAX_PIXELS })
    .autoOrient()
    .resize({ width: AVATAR_MAX_SIDE, height: AVATAR_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  const encoded = format === 'png' ? upright.png() : format === 'jpeg' ? upright.jpeg({ quality: 85 }) : upright.webp({ quality: 85 });
  try {
    return await encoded.toBuffer();
  } catch (cause) {
    throw unreadable(type, cause);
  }
}
