import type { PreferencesByCategory } from '@mreg/shared';

/** The preference category the app's own settings live in. */
export const UI_CATEGORY = 'ui';
/**
 * The keys it uses there (preference keys are lower case: a-z, 0-9, _, . and -); any other
 * category or key is the person's (or another tool's) own.
 */
export const UI_KEYS = { theme: 'theme', language: 'language', timeZone: 'time_zone' } as const;

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export interface UiPreferences {
  theme: Theme;
  /** A BCP 47 tag, or null for the browser's. */
  language: string | null;
  /** An IANA time zone, or null for the browser's. */
  timeZone: string | null;
}

function validLanguage(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null;
  } catch {
    return null;
  }
}

function validTimeZone(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return value;
  } catch {
    return null;
  }
}

/** The app's settings from what the server holds; anything missing or unusable means "the browser's". */
export function readUiPreferences(preferences: PreferencesByCategory | null): UiPreferences {
  const ui = preferences?.[UI_CATEGORY] ?? {};
  const theme = THEMES.includes(ui[UI_KEYS.theme] as Theme) ? (ui[UI_KEYS.theme] as Theme) : 'system';
  return { theme, language: validLanguage(ui[UI_KEYS.language]), timeZone: validTimeZone(ui[UI_KEYS.timeZone]) };
}

/** Every time zone the browser knows, for the picker. */
export function timeZones(): string[] {
  return Intl.supportedValuesOf('timeZone');
}

/** The browser's own language and zone, to say what "browser default" means. */
export function browserDefaults(): { language: string; timeZone: string } {
  const options = new Intl.DateTimeFormat().resolvedOptions();
  return { language: options.locale, timeZone: options.timeZone };
}
