import { AVATAR_MAX_BYTES, AVATAR_TYPES, type AvatarType } from '@mreg/shared';
import { HttpError } from '../../auth/http';
import { i18n } from '../../i18n';
import { errorMessage } from '../../trpc';

const MB = 1024 * 1024;

const TYPE_NAMES: Record<AvatarType, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

/** For the file input's `accept`: the picker offers only what the server takes. */
export const PICTURE_ACCEPT = AVATAR_TYPES.join(',');

/** "PNG, JPEG or WebP", in the app's language. */
export function pictureTypesText(): string {
  const names = AVATAR_TYPES.map((type) => TYPE_NAMES[type]);
  return names.length > 1 ? i18n.t('profile:picture.or', { list: names.slice(0, -1).join(', '), last: names.at(-1) }) : (names[0] ?? '');
}

/** A size in MB (of 1024 × 1024 bytes, as the limit is set), to `digits` decimals at most, as the app's language writes numbers. */
export function megabytes(bytes: number, digits = 1): string {
  const size = new Intl.NumberFormat(i18n.resolvedLanguage, { maximumFractionDigits: digits }).format(bytes / MB);
  return i18n.t('profile:picture.megabytes', { size });
}

export const pictureLimitText = () => megabytes(AVATAR_MAX_BYTES);

/**
 * Why the server would refuse this file, or null. The browser's type comes from the file's name,
 * the server's from its bytes, so the server may still refuse a misnamed file: that answer is shown too.
 */
export function pictureProblem(file: { type: string; size: number }): string | null {
  const types = pictureTypesText();
  if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) {
    return file.type ? i18n.t('profile:picture.typeIs', { type: file.type, types }) : i18n.t('profile:picture.typeUnknown', { types });
  }
  if (file.size > AVATAR_MAX_BYTES) {
    // A file just over the limit must not read as exactly the limit: more decimals until it differs.
    const limit = pictureLimitText();
    let size = megabytes(file.size);
    for (let digits = 2; size === limit && digits <= 6; digits++) size = megabytes(file.size, digits);
    return i18n.t('profile:picture.tooLarge', { size, limit });
  }
  if (file.size === 0) return i18n.t('profile:picture.empty');
  return null;
}

/**
 * The upload's failure in words. The server names its own limit in a 413's body, but a proxy in
 * front of it may answer 413 without MREG's JSON: then the status is all there is to go on.
 */
export function uploadFailureText(error: unknown): string {
  if (error instanceof HttpError && error.status === 413) return i18n.t('profile:picture.serverTooLarge', { limit: pictureLimitText() });
  return errorMessage(error);
}
