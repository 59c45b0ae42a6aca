import { i18n } from './index';

/**
 * The zod messages a form can show (shared/src/*.ts, the same on the server and in the app), in the
 * app's language. They are English sentences with values in them ("is longer than 80 characters"),
 * so each known shape is matched and said again from its key with the same values; an unknown one
 * (a new rule not yet translated) stays as written rather than be lost.
 */
const SHAPES: [RegExp, string][] = [
  [/^is required$/, 'required'],
  [/^must not be empty$/, 'empty'],
  [/^is longer than (?<max>\d+) characters$/, 'tooLong'],
  [/^contains the control character (?<char>.+), which is not allowed$/, 'controlCharacter'],
  [/^contains an unpaired UTF-16 surrogate, which is not text$/, 'surrogate'],
  [/^has no visible characters \(only invisible ones such as (?<char>.+)\)$/, 'onlyInvisible'],
  [/^contains a bidirectional control character \((?<char>.+)\), which is not allowed$/, 'bidiCharacter'],
  [/^contains an invisible (?:tag )?character \((?<char>.+)\), which is not allowed$/, 'invisibleCharacter'],
  [/^must be an email address$/, 'email'],
  [/^must be a whole number of days from 1 to (?<max>\d+)$/, 'wholeDays'],
  [/^must be at least 1 day$/, 'atLeastOneDay'],
  [/^must be at most (?<max>\d+) days$/, 'atMostDays'],
  [/^must be a URL$/, 'url'],
  [/^is not a URL \(e\.g\. (?<example>.+)\)$/, 'notUrl'],
  [/^must start with http:\/\/ or https:\/\/, not (?<scheme>.+)$/, 'urlScheme'],
  [/^must not hold a user name or password: .*$/, 'urlCredentials'],
  [/^must not have a #fragment$/, 'urlFragment'],
  [/^must be a slug$/, 'slug'],
  [/^must be 1 to 16 characters: lowercase letters, digits and -$/, 'slugShape'],
  [/^may hold only visible ASCII characters and spaces \(it travels in a header\)$/, 'headerValue'],
  [/^must be a header name(?:: .*)?$/, 'headerName'],
  [/^must be one of (?<values>.+)$/, 'oneOf'],
];

// The keys are chosen at run time with the values matched, so the typed t's per-key checks do not apply.
const say = i18n.t as unknown as (key: string, values: Record<string, string>) => string;

/** One field message in the app's language (English as the server wrote it). */
export function fieldMessage(message: string): string {
  if (i18n.resolvedLanguage === 'en') return message;
  for (const [shape, key] of SHAPES) {
    const match = shape.exec(message);
    if (match) return say(`validation.${key}`, { ...match.groups });
  }
  return message;
}
