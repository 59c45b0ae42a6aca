import { z } from 'zod';
import { orRequired } from './messages';

/** Longest category or key. */
export const PREFERENCE_NAME_MAX_LENGTH = 100;
/** Largest value, as JSON in UTF-8 bytes (JSON.stringify without spacing). */
export const PREFERENCE_VALUE_MAX_BYTES = 16 * 1024;
/**
 * Deepest nesting of arrays and objects in a value (`[]` is 1, `[[1]]` is 2). Preferences are
 * settings, not documents; the bound keeps every later JSON.stringify, jsonb parse and log line
 * far from any stack limit.
 */
export const PREFERENCE_VALUE_MAX_DEPTH = 32;
/** Keys one person may keep in one category. */
export const PREFERENCE_KEYS_PER_CATEGORY_MAX = 100;
/** Categories one person may keep. */
export const PREFERENCE_CATEGORIES_MAX = 100;
/** Keys one `auth.updatePreferences` may write. */
export const PREFERENCE_KEYS_PER_UPDATE_MAX = 100;

const NAME = /^[a-z0-9_.-]+$/;
const NAME_RULE = `must be 1-${PREFERENCE_NAME_MAX_LENGTH} characters of a-z, 0-9, _, . or -`;
// Assigning "__proto__" on a plain object replaces its prototype instead of adding a key, and zod's
// records drop it silently: refused out loud, in categories and keys alike.
const RESERVED = '"__proto__" is reserved';

const ZPreferenceName = z
  .string({ error: orRequired(NAME_RULE) })
  .max(PREFERENCE_NAME_MAX_LENGTH, { error: NAME_RULE, abort: true })
  .regex(NAME, { error: NAME_RULE, abort: true })
  .refine((name) => name !== '__proto__', { error: RESERVED });

/** A preference category, such as `ui` or `editor.python`. */
export const ZPreferenceCategory = ZPreferenceName;
/** A preference key within a category, such as `theme`. */
export const ZPreferenceKey = ZPreferenceName;

/** Where in a value: the keys and indexes from its root. */
type ValuePath = (string | number)[];
type Measured = { ok: true; value: unknown; bytes: number } | { ok: false; problem: string; path: ValuePath };
/** A step into a value, linked to the one above it: the path is built only for a refusal. */
type Step = { key: string | number; up: Step } | null;

/** A refusal of the value, naming where in it the problem is (null: the value as a whole). */
function refuse(problem: string, step: Step): Measured {
  const path: ValuePath = [];
  for (let at = step; at !== null; at = at.up) path.unshift(at.key);
  return { ok: false, problem, path };
}

const TOO_LARGE = `must be at most ${PREFERENCE_VALUE_MAX_BYTES} bytes as JSON (UTF-8)`;
const TOO_DEEP = `must not nest arrays and objects more than ${PREFERENCE_VALUE_MAX_DEPTH} deep`;
const NOT_JSON =
  'must be JSON: null, true, false, a finite number, a string, an array or an object of those';
// JSON.parse reads 1e400 as Infinity, which JSON.stringify would then write, and store, as null.
const NOT_FINITE = 'must be a finite number (at most about 1.8e308 either side of zero)';

/**
 * Bytes of `s` as JSON.stringify writes it (quotes and escapes included) in UTF-8, or a problem:
 * U+0000 and unpaired surrogates are refused, since PostgreSQL's jsonb stores neither.
 * Stops counting once past `budget`.
 */
function stringBytes(s: string, budget: number): number | string {
  let bytes = 2;
  for (let i = 0; i < s.length && bytes <= budget; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return 'must not contain the character U+0000';
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09) bytes += 2;
    else if (c < 0x20) bytes += 6;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'must be valid Unicode (it holds an unpaired surrogate)';
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return 'must be valid Unicode (it holds an unpaired surrogate)';
    else bytes += 3;
  }
  return bytes;
}

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment of "__proto__" would replace the prototype instead of adding the key.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A fresh plain copy of `input` with its size as JSON in UTF-8 bytes, or why it is no preference
 * value and where in it (size and depth are the whole value's). Iterative (a 10 000-deep value costs
 * no stack) and bounded: it stops at the first problem, past the depth limit or once the byte budget
 * is spent, so a huge or hostile value (a getter that throws, a Proxy, a sparse array of length
 * 2^32-1) costs little and never throws. The copy is what gets stored, so a getter cannot answer
 * differently between the check and the write.
 */
export function measurePreferenceValue(input: unknown, maxBytes = PREFERENCE_VALUE_MAX_BYTES): Measured {
  try {
    const root: { value?: unknown } = {};
    let bytes = 0;
    const pending: { source: unknown; depth: number; at: Step; put: (value: unknown) => void }[] = [
      { source: input, depth: 0, at: null, put: (value) => (root.value = value) },
    ];
    while (pending.length > 0) {
      const { source, depth, at, put } = pending.pop()!;
      if (source === null) {
        bytes += 4;
        put(null);
      } else if (typeof source === 'boolean') {
        bytes += source ? 4 : 5;
        put(source);
      } else if (typeof source === 'number') {
        if (!Number.isFinite(source)) return refuse(NOT_FINITE, at);
        bytes += String(source).length;
        put(source);
      } else if (typeof source === 'string') {
        const size = stringBytes(source, maxBytes - bytes);
        if (typeof size === 'string') return refuse(size, at);
        bytes += size;
        put(source);
      } else if (typeof source === 'object') {
        if (depth >= PREFERENCE_VALUE_MAX_DEPTH) return refuse(TOO_DEEP, null);
        if (Array.isArray(source)) {
          const length = source.length;
          // Brackets and commas first, so that a vast (or sparse) array is refused before any walk.
          bytes += 2 + Math.max(0, length - 1);
          if (bytes > maxBytes) return refuse(TOO_LARGE, null);
          const copy = new Array<unknown>(length);
          put(copy);
          for (let i = length - 1; i >= 0; i--) {
            if (!(i in source)) return refuse(NOT_JSON, { key: i, up: at });
            pending.push({ source: source[i], depth: depth + 1, at: { key: i, up: at }, put: (value) => (copy[i] = value) });
          }
        } else {
          const proto = Object.getPrototypeOf(source);
          if (proto !== Object.prototype && proto !== null) return refuse(NOT_JSON, at);
          if (Object.getOwnPropertySymbols(source).length > 0) return refuse(NOT_JSON, at);
          const keys = Object.keys(source);
          bytes += 2 + Math.max(0, keys.length - 1) + keys.length;
          if (bytes > maxBytes) return refuse(TOO_LARGE, null);
          const copy: Record<string, unknown> = {};
          put(copy);
          // Keys go in now, in order, so that the copy serializes in the order of the original.
          for (const key of keys) {
            const size = stringBytes(key, maxBytes - bytes);
            if (typeof size === 'string') return refuse(`keys ${size}`, at);
            bytes += size;
            defineKey(copy, key, null);
          }
          for (let i = keys.length - 1; i >= 0; i--) {
            const key = keys[i]!;
            pending.push({
              source: (source as Record<string, unknown>)[key],
              depth: depth + 1,
              at: { key, up: at },
              put: (value) => defineKey(copy, key, value),
            });
          }
        }
      } else {
        // undefined, bigint, symbol, function: JSON has no such thing.
        return refuse(NOT_JSON, at);
      }
      if (bytes > maxBytes) return refuse(TOO_LARGE, null);
    }
    return { ok: true, value: root.value, bytes };
  } catch {
    // A getter or Proxy trap that threw: whatever it is, it is not JSON.
    return refuse(NOT_JSON, null);
  }
}

/**
 * Any JSON value up to PREFERENCE_VALUE_MAX_BYTES and PREFERENCE_VALUE_MAX_DEPTH, numbers finite;
 * the output is a plain copy. A refusal names where in the value the problem is.
 */
export const ZPreferenceValue = z.unknown().transform((input, ctx) => {
  const measured = measurePreferenceValue(input);
  if (measured.ok) return measured.value;
  ctx.issues.push({ code: 'custom', message: measured.problem, input, path: measured.path });
  return z.NEVER;
});

const ZPreferenceRecord = z.record(ZPreferenceKey, ZPreferenceValue, {
  // zod's own words for a bad record key are "Invalid key in record"; the key's rule reads better.
  error: (issue) => (issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? NAME_RULE) : undefined),
});

const OBJECT_RULE = 'must be an object of key: value';

/**
 * Keys and values of one update. The count, `__proto__` and symbol keys are checked before any
 * value is walked (zod's records skip `__proto__` without a word).
 */
export const ZPreferenceMap = z
  .unknown()
  .superRefine((input, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: OBJECT_RULE, abort: true });
      return;
    }
    try {
      const count = Object.keys(input).length;
      if (count > PREFERENCE_KEYS_PER_UPDATE_MAX) {
        ctx.addIssue({ code: 'custom', message: `must hold at most ${PREFERENCE_KEYS_PER_UPDATE_MAX} keys per update; this one has ${count}`, abort: true });
      }
      if (Object.hasOwn(input, '__proto__')) ctx.addIssue({ code: 'custom', message: RESERVED, path: ['__proto__'] });
      if (Object.getOwnPropertySymbols(input).length > 0) ctx.addIssue({ code: 'custom', message: 'must have only string keys' });
    } catch {
      ctx.addIssue({ code: 'custom', message: OBJECT_RULE, abort: true });
    }
  })
  .pipe(ZPreferenceRecord);

/** Input of `auth.preferences`. */
export const ZGetPreferencesInput = z.strictObject({ category: ZPreferenceCategory });
export type GetPreferencesInput = z.infer<typeof ZGetPreferencesInput>;

/** Input of `auth.updatePreferences`: keys not named keep their values. */
export const ZUpdatePreferencesInput = z.strictObject({
  category: ZPreferenceCategory,
  preferences: ZPreferenceMap,
});
export type UpdatePreferencesInput = z.infer<typeof ZUpdatePreferencesInput>;

/** One category's preferences, `{ [key]: value }`: the output of both procedures. */
export const ZCategoryPreferences = z.record(z.string(), z.unknown());
export type CategoryPreferences = z.infer<typeof ZCategoryPreferences>;

/**
 * The cookies the app keeps the person's theme and language in (web/src/prefs/usePreferences.ts),
 * read by the server into index.html and its own pages, and set by it at sign-in. Not secrets.
 */
export const APPEARANCE_COOKIES = { theme: 'mreg_theme', language: 'mreg_lang' } as const;
