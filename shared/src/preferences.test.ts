import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  measurePreferenceValue,
  PREFERENCE_KEYS_PER_UPDATE_MAX,
  PREFERENCE_NAME_MAX_LENGTH,
  PREFERENCE_VALUE_MAX_BYTES,
  PREFERENCE_VALUE_MAX_DEPTH,
  ZPreferenceCategory,
  ZGetPreferencesInput,
  ZPreferenceValue,
  ZUpdatePreferencesInput,
} from './preferences';

// shared/ compiles without DOM or Node types; the test runs on Node, which has TextEncoder.
const encoder = new (globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }).TextEncoder();
const utf8 = (s: string) => encoder.encode(s).length;
const unpairedSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NAME_RULE = 'must be 1-100 characters of a-z, 0-9, _, . or -';

/** Parses, and fails the test if anything but a ZodError comes out. */
function safely<T>(schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: unknown } }, input: unknown) {
  const result = schema.safeParse(input);
  if (!result.success) expect(result.error).toBeInstanceOf(ZodError);
  return result;
}

function messages(input: unknown): string[] {
  const result = ZUpdatePreferencesInput.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** The oracle for a value: JSON-serializable, well-formed Unicode without U+0000, within both limits. */
function acceptable(value: unknown): boolean {
  const json = JSON.stringify(value);
  let bad = false;
  let deepest = 0;
  const walk = (v: unknown, depth: number) => {
    if (typeof v === 'string') bad ||= v.includes('\u0000') || unpairedSurrogate.test(v);
    else if (typeof v === 'number') bad ||= !Number.isFinite(v);
    else if (Array.isArray(v)) {
      deepest = Math.max(deepest, depth + 1);
      v.forEach((item) => walk(item, depth + 1));
    } else if (v !== null && typeof v === 'object') {
      deepest = Math.max(deepest, depth + 1);
      for (const [key, item] of Object.entries(v)) {
        walk(key, depth);
        walk(item, depth + 1);
      }
    }
  };
  walk(value, 0);
  return !bad && deepest <= PREFERENCE_VALUE_MAX_DEPTH && utf8(json) <= PREFERENCE_VALUE_MAX_BYTES;
}

function nested(depth: number, kind: 'array' | 'object', leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { k: value };
  return value;
}

const validName = fc.stringMatching(/^[a-z0-9_.-]{1,100}$/).filter((name) => name !== '__proto__');
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'a b', 'A', 'ü', 'a/b', 'a:b', '\u0000', '\ud800', 'x'.repeat(101), '../etc', 'a\nb'),
);

describe('category and key names', () => {
  it('accepts exactly 1-100 characters of a-z, 0-9, _, . and -', () => {
    fc.assert(
      fc.property(fc.oneof(validName, hostileString), (name) => {
        const result = safely(ZPreferenceCategory, name);
        const expected = /^[a-z0-9_.-]{1,100}$/.test(name) && name !== '__proto__';
        expect(result.success).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes names at the length limit and refuses one more', () => {
    expect(ZPreferenceCategory.safeParse('a'.repeat(PREFERENCE_NAME_MAX_LENGTH)).success).toBe(true);
    expect(messages({ category: 'a'.repeat(PREFERENCE_NAME_MAX_LENGTH + 1), preferences: {} })).toEqual([`category: ${NAME_RULE}`]);
    expect(messages({ category: '', preferences: {} })).toEqual([`category: ${NAME_RULE}`]);
  });

  it('names the field in words', () => {
    expect(messages({ category: 'Bad Category', preferences: { 'Bad Key': 1, ok: 1 } })).toEqual([
      `category: ${NAME_RULE}`,
      `preferences.Bad Key: ${NAME_RULE}`,
    ]);
    expect(messages({ category: 42, preferences: { ['k'.repeat(101)]: 1 } })).toEqual([
      `category: ${NAME_RULE}`,
      `preferences.${'k'.repeat(101)}: ${NAME_RULE}`,
    ]);
    expect(messages({ category: '__proto__', preferences: JSON.parse('{"__proto__": 1}') })).toEqual([
      'category: "__proto__" is reserved',
      'preferences.__proto__: "__proto__" is reserved',
    ]);
    expect(ZGetPreferencesInput.safeParse({ category: 'ui.editor-2_x' }).success).toBe(true);
  });
});

describe('preference values', () => {
  it('measures JSON values exactly as JSON.stringify writes them in UTF-8, and copies them', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 40 }), fc.jsonValue({ maxDepth: 6, stringUnit: 'grapheme' })), (value) => {
        const measured = measurePreferenceValue(value, Number.MAX_SAFE_INTEGER);
        if (!measured.ok) return;
        expect(measured.bytes).toBe(utf8(JSON.stringify(value)));
        expect(JSON.stringify(measured.value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a value exactly when it is storable JSON within the size and depth limits', () => {
    const strings = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string());
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 40 }), fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }), strings), (value) => {
        const result = safely(ZPreferenceValue, value);
        expect(result.success).toBe(acceptable(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('takes a value of exactly the byte limit and refuses one byte more, in any script', () => {
    // One character of 1, 2, 3 and 4 UTF-8 bytes, and one that JSON escapes to 2 or 6 bytes.
    fc.assert(
      fc.property(fc.constantFrom('a', 'é', '€', '😀', '\n', '\u0001', '"'), fc.boolean(), (char, inObject) => {
        const charBytes = utf8(JSON.stringify(char)) - 2;
        // The wrapping: {"k":"..."} costs 8 bytes, a bare string its 2 quotes.
        const budget = PREFERENCE_VALUE_MAX_BYTES - (inObject ? 8 : 2);
        const body = char.repeat(Math.floor(budget / charBytes)) + 'a'.repeat(budget % charBytes);
        const wrap = (s: string) => (inObject ? { k: s } : s);
        expect(utf8(JSON.stringify(wrap(body)))).toBe(PREFERENCE_VALUE_MAX_BYTES);
        expect(safely(ZPreferenceValue, wrap(body)).success).toBe(true);
        expect(safely(ZPreferenceValue, wrap(body + 'a')).success).toBe(false);
      }),
    );
    const over = ZUpdatePreferencesInput.safeParse({ category: 'ui', preferences: { big: 'x'.repeat(PREFERENCE_VALUE_MAX_BYTES - 1) } });
    expect(over.success || over.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'preferences.big: must be at most 16384 bytes as JSON (UTF-8)',
    ]);
  });

  it('takes nesting of exactly the depth limit and refuses one more, even 10 000 deep, quickly', () => {
    for (const kind of ['array', 'object'] as const) {
      expect(ZPreferenceValue.safeParse(nested(PREFERENCE_VALUE_MAX_DEPTH, kind)).success).toBe(true);
      expect(ZPreferenceValue.safeParse(nested(PREFERENCE_VALUE_MAX_DEPTH + 1, kind)).success).toBe(false);
      const started = Date.now();
      const deep = safely(ZUpdatePreferencesInput, { category: 'ui', preferences: { deep: nested(10_000, kind) } });
      expect(deep.success).toBe(false);
      expect(messages({ category: 'ui', preferences: { deep: nested(10_000, kind) } })).toEqual([
        'preferences.deep: must not nest arrays and objects more than 32 deep',
      ]);
      expect(Date.now() - started).toBeLessThan(500);
    }
  });

  it('refuses what JSON cannot hold or PostgreSQL cannot store, without throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const throwingGetter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter'); } });
    const throwingProxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    const hostile: unknown[] = [
      undefined,
      1n,
      Symbol('s'),
      () => 1,
      NaN,
      Infinity,
      -Infinity,
      new Date(),
      new Map([[1, 2]]),
      new Set([1]),
      new Uint8Array(3),
      /re/,
      new String('boxed'),
      // eslint-disable-next-line no-sparse-arrays -- a hole is exactly what is refused
      [1, , 3],
      new Array(2 ** 32 - 1),
      { a: undefined },
      { toJSON: () => 'sneaky' },
      { [Symbol('k')]: 1 },
      cyclic,
      throwingGetter,
      throwingProxy,
      Object.create({ inherited: 1 }),
      'nul \u0000 inside',
      { 'key\u0000': 1 },
      'lone \ud83d surrogate',
      ['\udc00'],
    ];
    for (const value of hostile) {
      expect(safely(ZPreferenceValue, value).success, String(typeof value === 'symbol' ? 'symbol' : Object.prototype.toString.call(value))).toBe(false);
      expect(safely(ZUpdatePreferencesInput, { category: 'ui', preferences: { v: value } }).success).toBe(false);
    }
    // A plain object without prototype is JSON like any other.
    expect(ZPreferenceValue.safeParse(Object.assign(Object.create(null), { a: 1 })).success).toBe(true);
  });

  it('refuses numbers that are not finite at any depth, naming where they are, as JSON.parse reads 1e400 too', () => {
    const FINITE = 'must be a finite number (at most about 1.8e308 either side of zero)';
    for (const [value, path] of [
      [Infinity, 'preferences.v'],
      [-Infinity, 'preferences.v'],
      [NaN, 'preferences.v'],
      [{ panes: [1, { width: -Infinity }] }, 'preferences.v.panes.1.width'],
      [[[NaN]], 'preferences.v.0.0'],
    ] as const) {
      expect(messages({ category: 'ui', preferences: { ok: 1, v: value } }), String(path)).toEqual([`${path}: ${FINITE}`]);
    }
    // A body as the server parses it: 1e400 is Infinity, which JSON.stringify would write as null.
    const parsed: unknown = JSON.parse('{"category":"ui","preferences":{"zoom":{"levels":[1,1e400]}}}');
    expect(messages(parsed)).toEqual([`preferences.zoom.levels.1: ${FINITE}`]);
    // The largest finite numbers are values like any other.
    expect(ZPreferenceValue.safeParse([Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324]).success).toBe(true);
  });

  it('never throws on anything at all, whether as a value, as the preferences or as the whole input', () => {
    const anything = fc.anything({
      maxDepth: 6,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true,
    });
    fc.assert(
      fc.property(anything, fc.oneof(validName, hostileString), (value, name) => {
        safely(ZPreferenceValue, value);
        safely(ZUpdatePreferencesInput, { category: name, preferences: value });
        safely(ZUpdatePreferencesInput, { category: name, preferences: { [name]: value } });
        safely(ZUpdatePreferencesInput, value);
        safely(ZGetPreferencesInput, value);
      }),
      { numRuns: 1000 },
    );
  });

  it('stores a copy, never the object it was given', () => {
    const given = { list: [1, { a: 'b' }], '__proto__x': 1 };
    const parsed = ZUpdatePreferencesInput.parse({ category: 'ui', preferences: { v: given } });
    expect(parsed.preferences.v).toEqual(given);
    expect(parsed.preferences.v).not.toBe(given);
    const ownProto = JSON.parse('{"__proto__": {"polluted": true}}');
    const kept = ZPreferenceValue.parse(ownProto) as Record<string, unknown>;
    expect(Object.keys(kept)).toEqual(['__proto__']);
    expect(JSON.stringify(kept)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('updates', () => {
  it(`takes up to ${PREFERENCE_KEYS_PER_UPDATE_MAX} keys in one update`, () => {
    fc.assert(
      fc.property(fc.uniqueArray(validName, { minLength: 0, maxLength: 130 }), (keys) => {
        const result = safely(ZUpdatePreferencesInput, { category: 'ui', preferences: Object.fromEntries(keys.map((key) => [key, true])) });
        expect(result.success).toBe(keys.length <= PREFERENCE_KEYS_PER_UPDATE_MAX);
      }),
      { numRuns: 100 },
    );
    expect(messages({ category: 'ui', preferences: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) })).toEqual([
      'preferences: must hold at most 100 keys per update; this one has 101',
    ]);
  });

  it('refuses preferences that are no object', () => {
    for (const preferences of [null, [], 'x', 1, undefined, [['a', 1]]]) {
      expect(messages({ category: 'ui', preferences })).toEqual(['preferences: must be an object of key: value']);
    }
  });
});
