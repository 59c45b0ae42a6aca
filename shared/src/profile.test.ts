import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  BIO_MAX_LENGTH,
  DISPLAY_NAME_MAX_LENGTH,
  jsonBytes,
  PROFILE_PREFERENCES_MAX_BYTES,
  PROFILE_PREFERENCES_MAX_DEPTH,
  ZUpdateProfileInput,
} from './profile';
import { firstHidden } from './text';

/** The schema's only two outcomes: a value, or a ZodError. Anything thrown fails the test. */
function parse(input: unknown) {
  const result = ZUpdateProfileInput.safeParse(input);
  if (!result.success) expect(result.error).toBeInstanceOf(ZodError);
  return result;
}

const messages = (input: unknown) => {
  const result = parse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;
const isControl = (cp: number) => cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);

/**
 * One character (code point) that the text fields keep as it is, whatever stands beside it: printable,
 * not whitespace, not hidden, unchanged by NFKC, and not one that NFKC composes with its neighbour
 * (combining marks, conjoining Hangul jamo).
 */
const keptChar = fc
  .integer({ min: 0x21, max: 0x10ffff })
  .filter((cp) => !isSurrogate(cp) && !isControl(cp) && !(cp >= 0x1100 && cp <= 0x11ff))
  .map((cp) => String.fromCodePoint(cp))
  .filter((char) => char.trim() === char && char.normalize('NFKC') === char && !/\p{M}/u.test(char) && firstHidden(char) === null);
const keptText = (length: number) => fc.array(keptChar, { minLength: length, maxLength: length }).map((chars) => chars.join(''));
const whitespace = fc.array(fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u3000', '\ufeff'), { maxLength: 4 }).map((s) => s.join(''));
const controlChar = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }), fc.integer({ min: 0x202a, max: 0x202e }), fc.integer({ min: 0x2066, max: 0x2069 }))
  .map((cp) => String.fromCodePoint(cp));

/** Anything at all, including values no JSON body could carry. */
const hostile = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withObjectString: true, withSparseArray: true }),
  fc.jsonValue(),
  fc.string({ unit: 'binary', maxLength: 2000 }),
);

describe('ZUpdateProfileInput: never anything but a value or a ZodError', () => {
  it('for any input at all', () => {
    fc.assert(fc.property(hostile, (input) => void parse(input)), { numRuns: 500 });
  });

  it('for any value of each field', () => {
    fc.assert(
      fc.property(fc.constantFrom('displayName', 'bio', 'preferences'), hostile, (field, value) => void parse({ [field]: value })),
      { numRuns: 500 },
    );
  });

  it('for exotic objects: cycles, getters that throw, proxies that throw, class instances, symbols, functions', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const shared = { x: 1 };
    const getter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter'); } });
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('proxy'); }, getPrototypeOf: () => Object.prototype });
    class Thing { a = 1; }
    for (const value of [cyclic, { a: shared, b: shared }, getter, proxy, new Thing(), { s: Symbol('x') }, { f: () => 1 }, { n: 1n }, { d: new Date() }, { u: undefined }, { x: NaN }, { x: Infinity }, [1, 2], null, 'text', 42]) {
      const issues = messages({ preferences: value });
      expect(issues.length, JSON.stringify(issues)).toBeGreaterThan(0);
      expect(issues.every((issue) => issue.startsWith('preferences'))).toBe(true);
    }
  });

  it('refuses unknown fields, avatarUrl included, naming them', () => {
    expect(messages({ avatarUrl: '/evil' })).toEqual([': "avatarUrl" is not a profile field; the fields are displayName, bio and preferences']);
    expect(messages(null)).toEqual([': must be an object such as { "displayName": "Ada" }']);
  });
});

describe.each([
  ['displayName', DISPLAY_NAME_MAX_LENGTH],
  ['bio', BIO_MAX_LENGTH],
] as const)('%s', (field, max) => {
  it(`keeps up to ${max} characters (code points, whatever their UTF-16 length), trimmed`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max }).chain(keptText), whitespace, whitespace, (text, before, after) => {
        const result = parse({ [field]: `${before}${text}${after}` });
        expect(result.success && result.data[field]).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it(`accepts exactly ${max} characters and refuses ${max + 1}, also in astral characters`, () => {
    fc.assert(
      fc.property(keptText(max), keptChar, (text, extra) => {
        expect(parse({ [field]: text }).success).toBe(true);
        expect(messages({ [field]: text + extra })).toEqual([`${field}: is longer than ${max} characters`]);
      }),
      { numRuns: 20 },
    );
    expect(parse({ [field]: '😀'.repeat(max) }).success).toBe(true);
    expect(messages({ [field]: '😀'.repeat(max + 1) })).toEqual([`${field}: is longer than ${max} characters`]);
  });

  it('refuses very long strings without trouble', () => {
    expect(messages({ [field]: 'a'.repeat(5_000_000) })).toEqual([`${field}: is longer than ${max} characters`]);
  });

  it('clears the field on empty, whitespace-only or null, and leaves it alone when absent', () => {
    fc.assert(
      fc.property(whitespace, (blank) => {
        const result = parse({ [field]: blank });
        expect(result.success && result.data[field]).toBeNull();
      }),
    );
    expect(parse({ [field]: null }).data).toEqual({ [field]: null });
    expect(parse({}).data).toEqual({});
  });

  it('refuses a control character inside the text, naming the field and the character', () => {
    fc.assert(
      fc.property(keptText(3), controlChar, keptText(3), (head, control, tail) => {
        fc.pre(!(field === 'bio' && control === '\n'));
        const code = `U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
        expect(messages({ [field]: head + control + tail })).toEqual([`${field}: contains the control character ${code}, which is not allowed`]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses unpaired surrogates, which are not text', () => {
    for (const lone of ['\ud800', '\udfff', 'a\udc00b', '\ud83d']) {
      expect(messages({ [field]: lone })).toEqual([`${field}: contains an unpaired UTF-16 surrogate, which is not text`]);
    }
  });

  it('refuses what is not a string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()), fc.object()), (value) => {
        expect(messages({ [field]: value })).toEqual([`${field}: must be a string, or null to clear it`]);
      }),
    );
  });
});

describe('bio', () => {
  it('may span lines (line feeds), but not carriage returns or tabs inside', () => {
    expect(parse({ bio: 'one\ntwo\n\nthree' }).data).toEqual({ bio: 'one\ntwo\n\nthree' });
    expect(messages({ bio: 'one\r\ntwo' })).toEqual(['bio: contains the control character U+000D, which is not allowed']);
    expect(messages({ displayName: 'one\ntwo' })).toEqual(['displayName: contains the control character U+000A, which is not allowed']);
  });
});

/** UTF-8 length, independently of jsonBytes: each %XX of encodeURIComponent is one byte. */
const utf8Bytes = (text: string) => encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, 'x').length;
/** encodeURIComponent throws on unpaired surrogates. */
const wellFormed = (text: string) => {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

/** An independent account of what preferences may be stored. */
function storable(value: unknown, depth = 1): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && wellFormed(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value === 'boolean') return true;
  if (depth > PROFILE_PREFERENCES_MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => storable(item, depth + 1));
  return Object.entries(value as object).every(([key, item]) => key !== '__proto__' && storable(key) && storable(item, depth + 1));
}

const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
};

describe('preferences', () => {
  it('accepts a JSON object exactly when it is storable and within the limits', () => {
    const objects = fc.oneof(
      fc.dictionary(fc.string({ unit: 'binary', maxLength: 10 }), fc.jsonValue({ maxDepth: 40 })),
      fc.dictionary(fc.string(), fc.string({ unit: 'binary', maxLength: 3000 }), { maxKeys: 12 }),
    );
    fc.assert(
      fc.property(objects, (value) => {
        const expected = storable(value) && utf8Bytes(JSON.stringify(value)) <= PROFILE_PREFERENCES_MAX_BYTES;
        const result = parse({ preferences: value });
        expect(result.success).toBe(expected);
        if (result.success) expect(result.data.preferences).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it(`accepts exactly ${PROFILE_PREFERENCES_MAX_BYTES} bytes of JSON and refuses one more, in any mix of 1- to 4-byte characters`, () => {
    fc.assert(
      fc.property(fc.constantFrom('a', 'é', '€', '😀', '"', '\\'), (char) => {
        // {"k":"…"} is 8 bytes; an escaped " or \ takes two.
        const unit = utf8Bytes(JSON.stringify(char)) - 2;
        const room = PROFILE_PREFERENCES_MAX_BYTES - 8;
        const fill = char.repeat(Math.floor(room / unit)) + 'a'.repeat(room % unit);
        const atLimit = { k: fill };
        expect(jsonBytes(atLimit)).toBe(PROFILE_PREFERENCES_MAX_BYTES);
        expect(utf8Bytes(JSON.stringify(atLimit))).toBe(PROFILE_PREFERENCES_MAX_BYTES);
        expect(parse({ preferences: atLimit }).success).toBe(true);
        expect(messages({ preferences: { k: `${fill}a` } })).toEqual([`preferences: is larger than ${PROFILE_PREFERENCES_MAX_BYTES} bytes as JSON`]);
      }),
    );
  });

  it(`accepts ${PROFILE_PREFERENCES_MAX_DEPTH} levels of nesting and refuses more, however deep`, () => {
    expect(parse({ preferences: nested(PROFILE_PREFERENCES_MAX_DEPTH) }).success).toBe(true);
    for (const depth of [PROFILE_PREFERENCES_MAX_DEPTH + 1, 1000, 200_000]) {
      const issues = messages({ preferences: nested(depth) });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(new RegExp(`^preferences(\\.a)+: is nested deeper than ${PROFILE_PREFERENCES_MAX_DEPTH} levels$`));
    }
  });

  it('refuses very large objects and arrays quickly', () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
    expect(messages({ preferences: wide })).toEqual([`preferences: is larger than ${PROFILE_PREFERENCES_MAX_BYTES} bytes as JSON`]);
    expect(messages({ preferences: { list: Array(1_000_000).fill(0) } })).toEqual([`preferences: is larger than ${PROFILE_PREFERENCES_MAX_BYTES} bytes as JSON`]);
  });

  it('names where an unstorable string is', () => {
    expect(messages({ preferences: { theme: { colours: ['red', 'x\u0000'] } } })).toEqual([
      'preferences.theme.colours.1: contains a NUL character or an unpaired surrogate, which cannot be stored',
    ]);
    expect(messages({ preferences: { theme: { '\ud800': 1 } } })).toEqual([
      'preferences.theme: has a key with a NUL character or an unpaired surrogate, which cannot be stored',
    ]);
  });

  it('refuses the key __proto__, which would be stored but never shown', () => {
    expect(messages({ preferences: JSON.parse('{"__proto__": {"x": 1}}') })).toEqual(['preferences.__proto__: is a reserved name']);
    expect(messages({ preferences: JSON.parse('{"a": {"__proto__": 1}}') })).toEqual(['preferences.a.__proto__: is a reserved name']);
  });
});
