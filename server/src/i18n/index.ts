import i18next from 'i18next';
import { APPEARANCE_COOKIES } from '@mreg/shared';
import de from './de';
import en from './en';

/** The languages of the server's own pages: the app's (web/src/i18n/languages.ts). */
export const PAGE_LANGUAGES = ['en', 'de'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];

/** The cookie the app writes with its language (web/src/prefs/usePreferences.ts), as a BCP 47 tag. */
export const LANGUAGE_COOKIE = APPEARANCE_COOKIES.language;

export type PageWordKey = keyof typeof en;

/** A tag of the app's languages, as the app writes it (en, en-GB, de-DE): safe to put in a page or a cookie. */
export const isLanguageTag = (tag: unknown): tag is string => typeof tag === 'string' && /^(?:en|de)(?:-[A-Za-z]{2})?$/.test(tag);

const instance = i18next.createInstance();
void instance.init({
  resources: { en: { pages: en }, de: { pages: de } },
  ns: ['pages'],
  defaultNS: 'pages',
  lng: 'en',
  fallbackLng: 'en',
  // Flat keys with dots in them; the pages escape every value themselves (pages.ts's html``).
  keySeparator: false,
  nsSeparator: false,
  interpolation: { escapeValue: false },
  initAsync: false,
});

export interface PageWords {
  lang: PageLanguage;
  say: (key: PageWordKey, values?: Record<string, string>) => string;
}

/**
 * The language of a page the server renders: the app's cookie (the person's choice, or what the
 * app resolved from the browser), else the best of Accept-Language, else English.
 */
export function pageLanguage(cookie: unknown, accepted: (languages: string[]) => string | false): PageLanguage {
  const fromCookie = typeof cookie === 'string' ? cookie.toLowerCase().split('-')[0] : undefined;
  if (fromCookie === 'en' || fromCookie === 'de') return fromCookie;
  const best = accepted([...PAGE_LANGUAGES]);
  return best === 'de' ? 'de' : 'en';
}

/** The words of one page in `lang`. */
export function pageWords(lang: PageLanguage): PageWords {
  const t = instance.getFixedT(lang, 'pages');
  return { lang, say: (key, values) => t(key, values ?? {}) };
}

/** The words for an Express request: its cookies (cookie-parser) and Accept-Language. */
export function wordsFor(req: { cookies?: Record<string, unknown>; acceptsLanguages: (languages: string[]) => string | false }): PageWords {
  return pageWords(pageLanguage(req.cookies?.[LANGUAGE_COOKIE], (languages) => req.acceptsLanguages(languages)));
}
