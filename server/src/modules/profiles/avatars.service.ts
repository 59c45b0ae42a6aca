import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AVATAR_MAX_BYTES, type AvatarType, type Profile } from '@mreg/shared';
import { AppError } from '../../errors';
import { UserProfile } from '../users/users.entity';
import { reencodeAvatar } from './avatar-image';
import { UserAvatar } from './avatars.entity';
import { ensureProfile, profileChanged, toProfile, type ProfileDeps } from './profiles.service';

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** The chunk every PNG starts with: length 13, type IHDR. */
const PNG_IHDR = [0x00, 0x00, 0x00, 0x0d, ...ascii('IHDR')];
const WEBP_CHUNKS = [ascii('VP8 '), ascii('VP8L'), ascii('VP8X')];

/**
 * The image type the bytes themselves declare (magic numbers), or null. Never the file name or the
 * Content-Type header: a browser told `nosniff` renders what we say, so what we say must be true.
 */
export function detectAvatarType(bytes: Uint8Array): AvatarType | null {
  if (startsWith(bytes, PNG_SIGNATURE) && startsWith(bytes, PNG_IHDR, 8) && bytes.length >= 8 + 8 + 13 + 4) return 'image/png';
  // SOI, then the first segment's marker (APPn, DQT, SOF...): 0xFF followed by 0xC0-0xFE.
  if (startsWith(bytes, [0xff, 0xd8, 0xff]) && bytes.length >= 4 && bytes[3]! >= 0xc0 && bytes[3]! <= 0xfe) return 'image/jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8) && WEBP_CHUNKS.some((chunk) => startsWith(bytes, chunk, 12))) {
    return 'image/webp';
  }
  return null;
}

/** What a refused upload looks like, in words, so that the refusal can say more than "no". */
function lookalike(bytes: Uint8Array): string {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'a damaged PNG (no image header after the signature)';
  if (startsWith(bytes, [0xff, 0xd8])) return 'a damaged JPEG';
  if (startsWith(bytes, ascii('RIFF'))) return startsWith(bytes, ascii('WEBP'), 8) ? 'a damaged WebP' : 'a RIFF file that is not WebP';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'a GIF image';
  if (startsWith(bytes, ascii('BM'))) return 'a BMP image';
  if (startsWith(bytes, ascii('II*\0')) || startsWith(bytes, ascii('MM\0*'))) return 'a TIFF image';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'an ICO icon';
  if (startsWith(bytes, ascii('ftyp'), 4)) return 'an AVIF, HEIC or other ISO media file';
  if (startsWith(bytes, ascii('%PDF'))) return 'a PDF document';
  if (startsWith(bytes, ascii('PK\x03\x04'))) return 'a ZIP archive';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return /<svg[\s>]/i.test(head) ? 'an SVG image (which can carry scripts)' : 'HTML or XML markup';
  // eslint-disable-next-line no-control-regex -- text is what has no control characters but whitespace
  if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(head)) return 'text';
  return 'none of them';
}

/** Why these bytes cannot be an avatar, or null when they can. */
export function avatarRefusal(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'The request body is empty: send the image file itself as the body';
  if (bytes.length > AVATAR_MAX_BYTES) return `The image is ${bytes.length} bytes; an avatar may be at most ${AVATAR_MAX_BYTES} bytes (1 MiB)`;
  if (detectAvatarType(bytes)) return null;
  return `An avatar must be a PNG, JPEG or WebP image, and this file is ${lookalike(bytes)}. The type is read from the file's content, not from its name or Content-Type`;
}

/** Where an avatar is served: stable for one image, new for another (so it can be cached forever). */
export const AVATAR_HASH_LENGTH = 16;
const AVATAR_HASH = new RegExp(`^[0-9a-f]{${AVATAR_HASH_LENGTH}}$`);
export const avatarUrl = (userId: string, sha256: string) => `/avatars/${userId}/${sha256.slice(0, AVATAR_HASH_LENGTH)}`;

/**
 * Stores the image as the user's avatar (replacing any other) and points the profile at it, in one
 * transaction; then the profile cache and the user's sessions learn of it. What is stored (and
 * served) is the image decoded and encoded again (reencodeAvatar), never the bytes as sent. Bad
 * bytes, and images that do not decode or are too large in pixels, are BAD_REQUEST.
 */
export async function storeAvatar(deps: ProfileDeps, userId: string, upload: Buffer): Promise<Profile> {
  const refusal = avatarRefusal(upload);
  if (refusal) throw new AppError('BAD_REQUEST', refusal);
  const contentType = detectAvatarType(upload)!;
  const bytes = await reencodeAvatar(upload, contentType);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const profile = await deps.em.transactional(async (tx) => {
    await tx.upsert(UserAvatar, { user: userId, contentType, bytes, sha256, size: bytes.length, updatedAt: new Date() });
    await ensureProfile(tx, userId);
    const row = await tx.findOneOrFail(UserProfile, { user: userId });
    row.avatarUrl = avatarUrl(userId, sha256);
    await tx.flush();
    return toProfile(row);
  });
  await profileChanged(deps, userId);
  return profile;
}

/** Removes the user's avatar, if any, and clears the profile's avatarUrl; answers the profile. */
export async function deleteAvatar(deps: ProfileDeps, userId: string): Promise<Profile> {
  const profile = await deps.em.transactional(async (tx) => {
    await tx.nativeDelete(UserAvatar, { user: userId });
    await ensureProfile(tx, userId);
    const row = await tx.findOneOrFail(UserProfile, { user: userId });
    row.avatarUrl = null;
    await tx.flush();
    return toProfile(row);
  });
  await profileChanged(deps, userId);
  return profile;
}

export interface StoredAvatar {
  contentType: string;
  bytes: Buffer;
  sha256: string;
}

/** The user's avatar if its hash starts with `hashPrefix` (the URL's), else null: old URLs are gone. */
export async function loadAvatar(em: EntityManager, userId: string, hashPrefix: string): Promise<StoredAvatar | null> {
  if (!AVATAR_HASH.test(hashPrefix)) return null;
  const avatar = await em.findOne(UserAvatar, { user: userId, sha256: { $like: `${hashPrefix}%` } }, { populate: ['bytes'] });
  if (!avatar) return null;
  return { contentType: avatar.contentType, bytes: Buffer.from(avatar.bytes), sha256: avatar.sha256 };
}
