import { z } from 'zod';
import { LONE_SURROGATE, visibleText } from './text';

/** Longest display name, in characters (code points, as PostgreSQL's varchar(255) counts them). */
export const DISPLAY_NAME_MAX_LENGTH = 255;
/** Longest bio, in characters. */
export const BIO_MAX_LENGTH = 1000;
/** Largest profile-level preferences object, in bytes of UTF-8 JSON (16 KiB). */
export const PROFILE_PREFERENCES_MAX_BYTES = 16 * 1024;
/** Deepest nesting of objects and arrays in profile-level preferences (the top object is level 1). */
export const PROFILE_PREFERENCES_MAX_DEPTH = 32;

/** Largest avatar upload, in bytes (1 MiB). */
export const AVATAR_MAX_BYTES = 1024 * 1024;
/** The image types an avatar may be; the type is read from the file's bytes, never from its name or headers. */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export const ZAvatarType = z.enum(AVATAR_TYPES);
export type AvatarType = z.infer<typeof ZAvatarType>;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A profile text field (visibleText: normalised, trimmed, nothing hidden, at most `max` characters);
 * empty after trimming means "clear it" (null); null clears it too; absent leaves it as it is.
 */
function profileText(max: number, lineBreaks: boolean) {
  return visibleText({ max, lineBreaks, typeError: 'must be a string, or null to clear it' })
    .transform((text) => (text === '' ? null : text))
    .nullable()
    .optional();
}

type Problem = { path: (string | number)[]; message: string };

const isPlainObject = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** What keeps a string out of a jsonb column: NUL (refused by PostgreSQL) or an unpaired surrogate. */
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/**
 * Why `root` is not a JSON object MREG can store, or null. Iterative, bounded by depth and by node
 * count (every node costs at least one byte of JSON, so more nodes than the byte limit is too large
 * anyway), so that neither a deep nor a huge nor a cyclic value can exhaust the stack or the CPU.
 */
function jsonObjectProblem(root: unknown): Problem | null {
  if (typeof root !== 'object' || root === null || Array.isArray(root) || !isPlainObject(root)) {
    return { path: [], message: 'must be a JSON object ({ "key": value, ... })' };
  }
  const tooLarge = { path: [], message: `is larger than ${PROFILE_PREFERENCES_MAX_BYTES} bytes as JSON` };
  const stack: { value: unknown; path: (string | number)[]; depth: number }[] = [{ value: root, path: [], depth: 1 }];
  const seen = new Set<object>();
  let nodes = 0;
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (++nodes > PROFILE_PREFERENCES_MAX_BYTES) return tooLarge;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { path, message: `${value} is not a JSON number` };
      continue;
    }
    if (typeof value === 'string') {
      if (unstorable(value)) return { path, message: 'contains a NUL character or an unpaired surrogate, which cannot be stored' };
      continue;
    }
    if (typeof value !== 'object') return { path, message: `a ${typeof value} is not a JSON value` };
    if (depth > PROFILE_PREFERENCES_MAX_DEPTH) return { path, message: `is nested deeper than ${PROFILE_PREFERENCES_MAX_DEPTH} levels` };
    if (seen.has(value)) return { path, message: 'refers to an object that appears elsewhere in it (or to itself); send plain JSON' };
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        if (!(i in value)) return { path: [...path, i], message: 'is missing (a hole in the array is not JSON)' };
        stack.push({ value: value[i], path: [...path, i], depth: depth + 1 });
      }
      continue;
    }
    if (!isPlainObject(value)) return { path, message: `a ${value.constructor?.name ?? 'non-plain'} object is not a JSON value` };
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
      if (!descriptor.enumerable) continue;
      if (unstorable(key)) return { path, message: 'has a key with a NUL character or an unpaired surrogate, which cannot be stored' };
      // zod's records and many JSON consumers drop or misread it: stored, it would be invisible.
      if (key === '__proto__') return { path: [...path, key], message: 'is a reserved name' };
      if (!('value' in descriptor)) return { path: [...path, key], message: 'is a getter, not a JSON value' };
      stack.push({ value: descriptor.value, path: [...path, key], depth: depth + 1 });
    }
  }
  if (jsonBytes(root) > PROFILE_PREFERENCES_MAX_BYTES) return tooLarge;
  return null;
}

/** Bytes of `text` in UTF-8 (shared/ has no TextEncoder or Buffer: it runs in browsers and Node). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Size of a JSON value as stored and sent: bytes of its UTF-8 JSON text. */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}

/**
 * Profile-level preferences (`user_profiles.preferences`, the plan's per-profile JSON; not the
 * per-category store of `auth.updatePreferences`). MERGED, one level deep, into what is stored: each
 * top-level key given replaces that key's whole value, a key given as null removes it, keys not
 * given are kept. So `{}` changes nothing. Limits: the object sent, and the stored object after
 * merging, are each at most PROFILE_PREFERENCES_MAX_BYTES of JSON, nested at most
 * PROFILE_PREFERENCES_MAX_DEPTH levels; strings and keys must be storable text (no NUL, no unpaired
 * surrogate); numbers finite.
 */
export const ZProfilePreferencesPatch = z.custom<JsonObject>().check((ctx) => {
  let problem: Problem | null;
  try {
    problem = jsonObjectProblem(ctx.value);
  } catch {
    // A Proxy or an exotic object that throws while being read: not plain JSON either way.
    problem = { path: [], message: 'is not plain JSON' };
  }
  if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, path: problem.path, message: problem.message });
});

/**
 * `auth.updateProfile`: every field optional; absent means unchanged. `displayName` (at most
 * DISPLAY_NAME_MAX_LENGTH characters) and `bio` (at most BIO_MAX_LENGTH, may contain line feeds)
 * are normalised (NFKC) and trimmed, and an empty result or null clears them; invisible characters
 * are refused (visibleText, text.ts). Unknown fields are refused, `avatarUrl`
 * included: avatars change through PUT/DELETE /avatars only.
 */
export const ZUpdateProfileInput = z.strictObject(
  {
    displayName: profileText(DISPLAY_NAME_MAX_LENGTH, false),
    bio: profileText(BIO_MAX_LENGTH, true),
    preferences: ZProfilePreferencesPatch.optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.map((key) => JSON.stringify(key)).join(', ')} ${issue.keys.length === 1 ? 'is not a profile field' : 'are not profile fields'}; the fields are displayName, bio and preferences`
        : issue.code === 'invalid_type'
          ? 'must be an object such as { "displayName": "Ada" }'
          : undefined,
  },
);
export type UpdateProfileInput = z.input<typeof ZUpdateProfileInput>;
export type ProfileChanges = z.output<typeof ZUpdateProfileInput>;
