import { AVATAR_MAX_BYTES, AVATAR_TYPES, type AvatarType } from '@mreg/shared';
import { HttpError } from '../../auth/http';
import { errorMessage } from '../../trpc';

const MB = 1024 * 1024;

const TYPE_NAMES: Record<AvatarType, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

/** For the file input's `accept`: the picker offers only what the server takes. */
export const PICTURE_ACCEPT = AVATAR_TYPES.join(',');

/** "PNG, JPEG or WebP". */
export const PICTURE_TYPES_TEXT = (() => {
  const names = AVATAR_TYPES.map((type) => TYPE_NAMES[type]);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
})();

/** A size in MB (of 1024 × 1024 bytes, as the limit is set), to `digits` decimals at most. */
export function megabytes(bytes: number, digits = 1): string {
  const factor = 10 ** digits;
  return `${Math.round((bytes / MB) * factor) / factor} MB`;
}

export const PICTURE_LIMIT_TEXT = megabytes(AVATAR_MAX_BYTES);

/**
 * Why the server would refuse this file, or null. The browser's type comes from the file's name,
 * the server's from its bytes, so the server may still refuse a misnamed file: that answer is shown too.
 */
export function pictureProblem(file: { type: string; size: number }): string | null {
  if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) {
    const what = file.type ? `That file's type is ${file.type}` : 'The browser cannot tell what kind of file that is';
    return `${what}; the picture must be ${PICTURE_TYPES_TEXT}.`;
  }
  if (file.size > AVATAR_MAX_BYTES) {
    // A file just over the limit must not read as exactly the limit: more decimals until it differs.
    let size = megabytes(file.size);
    for (let digits = 2; size === PICTURE_LIMIT_TEXT && digits <= 6; digits++) size = megabytes(file.size, digits);
    return `The picture is ${size}; the limit is ${PICTURE_LIMIT_TEXT}. Choose a smaller one, or make this one smaller.`;
  }
  if (file.size === 0) return 'That file is empty; choose a picture.';
  return null;
}

/**
 * The upload's failure in words. The server names its own limit in a 413's body, but a proxy in
 * front of it may answer 413 without MREG's JSON: then the status is all there is to go on.
 */
export function uploadFailureText(error: unknown): string {
  if (error instanceof HttpError && error.status === 413) {
    return `The picture is larger than the server accepts; the limit is ${PICTURE_LIMIT_TEXT}. Choose a smaller one.`;
  }
  return errorMessage(error);
}
