/** The languages the app is written in; every string of the app exists in each. */
export const UI_LANGUAGES = ['en', 'de'] as const;
export type UiLanguage = (typeof UI_LANGUAGES)[number];

/** The Language choices on Preferences: each is a UI language with its region's date order. */
export const LANGUAGE_CHOICES: { tag: string; label: string }[] = [
  { tag: 'en-US', label: 'English (United States)' },
  { tag: 'en-GB', label: 'English (United Kingdom)' },
  { tag: 'de-DE', label: 'Deutsch (Deutschland)' },
  { tag: 'de-AT', label: 'Deutsch (Österreich)' },
  { tag: 'de-CH', label: 'Deutsch (Schweiz)' },
];

const uiLanguageOf = (tag: string): UiLanguage | null => {
  const primary = tag.toLowerCase().split('-')[0];
  return (UI_LANGUAGES as readonly string[]).includes(primary ?? '') ? (primary as UiLanguage) : null;
};

export interface ResolvedLanguage {
  /** The language of the app's words. */
  ui: UiLanguage;
  /** The locale of dates, numbers and relative times: always in the same language as the words. */
  locale: string;
}

/**
 * The app's language: the person's preference when the app is written in it, else the first of the
 * browser's languages that it is written in, else English. Dates follow the chosen tag's region
 * (en-GB: 5 Mar 2026) when its language is the UI's, so words and dates never mix languages.
 */
export function resolveLanguage(preference: string | null, browser: readonly string[]): ResolvedLanguage {
  for (const tag of [...(preference ? [preference] : []), ...browser]) {
    const ui = uiLanguageOf(tag);
    if (ui) return { ui, locale: tag };
  }
  return { ui: 'en', locale: 'en-US' };
}

/** The browser's languages in its order of preference. */
export function browserLanguages(): readonly string[] {
  return typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];
}
