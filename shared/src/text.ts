import { z } from 'zod';

/**
 * Text that people type and others see (display names, bios): one set of rules for the schemas and
 * for names that arrive in sign-in tokens. Every check reads code points through the engine's own
 * Unicode data (\p{...}), so browser and server agree without a table of our own.
 */

/** "U+200B". */
export const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

// C0 and C1 controls and DEL, plus the bidi embedding, override and isolate controls, which reorder
// the text shown around a name ("Trojan Source"). A bio may hold line feeds; nothing else may.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
// eslint-disable-next-line no-control-regex -- as above, line feed allowed
const CONTROL_EXCEPT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
/** Half of a surrogate pair on its own: not encodable as UTF-8, so PostgreSQL could not store it. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const DEFAULT_IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const BIDI_CONTROL = /^\p{Bidi_Control}$/u;
/** Tag characters: invisible, and enough to spell any ASCII text unseen ("ASCII smuggling"). */
const TAG = /^[\u{E0000}-\u{E007F}]$/u;
/**
 * Characters that draw nothing but are not default-ignorable, so fonts give them a blank glyph: the
 * usual fillers of "empty" names. The Hangul fillers are default-ignorable already (they are listed
 * for engines with older Unicode data, and so that the rule reads whole).
 */
const BLANK = /^[\u115f\u1160\u2800\u3164\uffa0\u{1d159}]$/u;
const EMOJI = /^\p{Emoji}$/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
const SKIN_TONE = /^\p{Emoji_Modifier}$/u;
const ZWJ = '\u200d';
const VS15 = '\ufe0e';
const VS16 = '\ufe0f';
const KEYCAP = '\u20e3';

/** Unicode names of the invisible characters people meet most, for messages; others get their code alone. */
const NAMES: Record<number, string> = {
  0x00ad: 'SOFT HYPHEN',
  0x034f: 'COMBINING GRAPHEME JOINER',
  0x061c: 'ARABIC LETTER MARK',
  0x115f: 'HANGUL CHOSEONG FILLER',
  0x1160: 'HANGUL JUNGSEONG FILLER',
  0x17b4: 'KHMER VOWEL INHERENT AQ',
  0x17b5: 'KHMER VOWEL INHERENT AA',
  0x180e: 'MONGOLIAN VOWEL SEPARATOR',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2060: 'WORD JOINER',
  0x2061: 'FUNCTION APPLICATION',
  0x2062: 'INVISIBLE TIMES',
  0x2063: 'INVISIBLE SEPARATOR',
  0x2064: 'INVISIBLE PLUS',
  0x2800: 'BRAILLE PATTERN BLANK',
  0x3164: 'HANGUL FILLER',
  0xfe0e: 'VARIATION SELECTOR-15',
  0xfe0f: 'VARIATION SELECTOR-16',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
  0xffa0: 'HALFWIDTH HANGUL FILLER',
  0x1d159: 'MUSICAL SYMBOL NULL NOTEHEAD',
  0xe0001: 'LANGUAGE TAG',
  0xe007f: 'CANCEL TAG',
};

/** "U+200B ZERO WIDTH SPACE", or "U+E0041" for a character without a name here. */
export function describeCharacter(char: string): string {
  const name = NAMES[char.codePointAt(0)!];
  return name ? `${codePoint(char)} ${name}` : codePoint(char);
}

type Hidden = { char: string; kind: 'invisible' | 'tag' | 'bidi' };

/**
 * Why `chars[i]` must not be shown, or null. `chars` are code points; `prev` is the character kept
 * before it (which may differ from chars[i - 1] when stripping).
 *
 * Emoji keep working: VS15/VS16 (text or emoji style) are allowed right after a character that has an
 * emoji form (\p{Emoji}; after a digit, # or * only as part of a keycap, since "1" + VS16 looks like
 * "1"), so "❤️" and "1️⃣" pass while "Ada" + VS16 does not; the zero width joiner only between two
 * pictographs (\p{Extended_Pictographic}), the first of which may carry VS16 or a skin tone, so that
 * "👩‍💻", "👩🏽‍💻" and "❤️‍🔥" pass while "A" + ZWJ does not. Tag characters are refused outright,
 * and with them the three subdivision flags (England, Scotland, Wales) that are built of them.
 */
function hiddenAt(chars: readonly string[], i: number, prev: string | undefined, before: string | undefined): Hidden | null {
  const char = chars[i]!;
  if (TAG.test(char)) return { char, kind: 'tag' };
  if (BIDI_CONTROL.test(char)) return { char, kind: 'bidi' };
  if (char === VS15 || char === VS16) {
    if (prev === undefined || !EMOJI.test(prev)) return { char, kind: 'invisible' };
    if (/^[0-9#*]$/.test(prev) && !(char === VS16 && chars[i + 1] === KEYCAP)) return { char, kind: 'invisible' };
    return null;
  }
  if (char === ZWJ) {
    const base = prev === VS16 || (prev !== undefined && SKIN_TONE.test(prev)) ? before : prev;
    const next = chars[i + 1];
    if (base !== undefined && PICTOGRAPHIC.test(base) && next !== undefined && PICTOGRAPHIC.test(next)) return null;
    return { char, kind: 'invisible' };
  }
  if (DEFAULT_IGNORABLE.test(char) || BLANK.test(char)) return { char, kind: 'invisible' };
  return null;
}

/** The first character of `text` that shows nothing or reorders the text, or null. */
export function firstHidden(text: string): Hidden | null {
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const hidden = hiddenAt(chars, i, chars[i - 1], chars[i - 2]);
    if (hidden) return hidden;
  }
  return null;
}

/** Characters as PostgreSQL counts them (code points), stopping early past `max`. */
function longerThan(value: string, max: number): boolean {
  if (value.length <= max) return false;
  let count = 0;
  for (const _ of value) if (++count > max) return true;
  return false;
}

/**
 * NFKC composes at most four code points into one (U+1F82 is four in NFD), and every code point is at
 * most two UTF-16 units: a trimmed input longer than this cannot fit in `max` characters once
 * normalised, and is refused before the normaliser reads it.
 */
const rawBound = (max: number) => max * 8;

/** The text as it is kept: NFKC (so "ﬁ" is "fi" and "Ａｄａ" is "Ada"), then trimmed. */
export const normaliseText = (text: string) => text.normalize('NFKC').trim();

/** Characters the length limits count: code points of the normalised, trimmed text (as stored). */
export const textLength = (text: string) => [...normaliseText(text)].length;

const hiddenMessage = (hidden: Hidden) =>
  hidden.kind === 'bidi'
    ? `contains a bidirectional control character (${describeCharacter(hidden.char)}), which is not allowed`
    : hidden.kind === 'tag'
      ? `contains an invisible tag character (${describeCharacter(hidden.char)}), which is not allowed`
      : `contains an invisible character (${describeCharacter(hidden.char)}), which is not allowed`;

export interface VisibleTextOptions {
  /** Longest text, in characters (code points) after normalising and trimming. */
  max: number;
  /** A bio may span lines (line feeds); a name may not. */
  lineBreaks?: boolean;
  /** Refuse text that is empty after trimming ("must not be empty"); otherwise it passes as "". */
  required?: boolean;
  /** The message for a value that is not a string. */
  typeError?: string;
}

/**
 * A string a person types and others see. It is normalised (NFKC) and trimmed, and that is the value
 * the schema answers, so what is stored is what was checked. Refused, each with a message naming the
 * character by its code: control characters (line feeds allowed with `lineBreaks`), unpaired
 * surrogates, bidi controls, tag characters, default-ignorable characters and blank fillers (U+2800,
 * Hangul fillers) except the emoji joiners and selectors described at `hiddenAt`; text with nothing
 * visible in it; text longer than `max` characters once normalised. The field's name comes from the
 * issue's path, as with every other schema.
 */
export function visibleText({ max, lineBreaks = false, required = false, typeError }: VisibleTextOptions) {
  const control = lineBreaks ? CONTROL_EXCEPT_LF : CONTROL;
  return z.string(typeError ? { error: typeError } : undefined).transform((value, ctx) => {
    const refuse = (message: string) => {
      ctx.issues.push({ code: 'custom', input: value, message });
      return z.NEVER;
    };
    const raw = value.trim();
    if (raw.length > rawBound(max)) return refuse(`is longer than ${max} characters`);
    // Checked as typed, so that a message names the character the person sent (NFKC turns U+3164
    // and U+FFA0 into U+1160). NFKC makes no control character (text.test.ts checks every code
    // point); a selector it strands is left out by visibleForm.
    const bad = control.exec(raw);
    if (bad) return refuse(`contains the control character ${codePoint(bad[0])}, which is not allowed`);
    if (LONE_SURROGATE.test(raw)) return refuse('contains an unpaired UTF-16 surrogate, which is not text');
    const hidden = firstHidden(raw);
    if (hidden) {
      const onlyHidden = stripHidden(raw).trim() === '';
      return refuse(onlyHidden ? `has no visible characters (only invisible ones such as ${describeCharacter(hidden.char)})` : hiddenMessage(hidden));
    }
    const text = visibleForm(raw);
    if (longerThan(text, max)) return refuse(`is longer than ${max} characters`);
    if (required && text === '') return refuse('must not be empty');
    return text;
  });
}

/** `text` without the characters visibleText refuses as hidden, judged in the context of what is kept. */
function stripHidden(text: string): string {
  const chars = [...text];
  const kept: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (!hiddenAt(chars, i, kept.at(-1), kept.at(-2))) kept.push(chars[i]!);
  }
  return kept.join('');
}

/**
 * NFKC, then trimmed. NFKC may turn an emoji into plain letters ("™️" into "TM" + VS16): a selector
 * left without its emoji goes with it, and the rest is normalised again, since the selector may have
 * stood between a letter and a mark that compose.
 */
function visibleForm(text: string): string {
  return normaliseText(stripHidden(normaliseText(text)));
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is left out
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE, 'g');

/**
 * A name from outside (a sign-in token's `name` or tenant name), made fit to show: what visibleText
 * would refuse is left out instead (a sign-in must not fail over a name the person cannot change
 * here): control characters become spaces, unpaired surrogates and hidden characters go; then it is
 * normalised as visibleText does, and cut to `max` characters. Empty when nothing visible remains:
 * the caller falls back to another name.
 */
export function cleanName(text: string, max: number): string {
  const clean = (value: string) => visibleForm(stripHidden(value.replace(ANY_CONTROL, ' ').replace(LONE_SURROGATES, '')));
  const once = clean(text.slice(0, rawBound(max)));
  if (!longerThan(once, max)) return once;
  // Cut at a code point, then clean again: the cut may leave a joiner without its second pictograph.
  return clean([...once].slice(0, max).join(''));
}
