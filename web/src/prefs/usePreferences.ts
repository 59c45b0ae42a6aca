import { APPEARANCE_COOKIES } from '@mreg/shared';
import { useEffect, useLayoutEffect, useMemo } from 'react';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { i18n } from '../i18n';
import { browserLanguages, resolveLanguage, type ResolvedLanguage } from '../i18n/languages';
import { readUiPreferences, type UiPreferences } from './ui-preferences';

/** The signed-in person's app settings (theme, language, time zone), or the browser's when signed out. */
export function useUiPreferences(): UiPreferences {
  const { preferences } = useEnhancedAuth();
  return useMemo(() => readUiPreferences(preferences), [preferences]);
}

/** Read by the server into index.html (server/src/http/spa.ts): the next full load paints in this theme. */
const THEME_COOKIE = APPEARANCE_COOKIES.theme;

/**
 * Puts the theme on <html>: the stylesheet follows `data-theme`, or the system's when it is absent;
 * and keeps it in a cookie for the server to put there before the first paint of the next load. Until
 * the person's preferences are known (loading, signed out), the theme the server put there stays.
 */
export function useApplyTheme(): void {
  const { preferences } = useEnhancedAuth();
  const { theme } = useUiPreferences();
  const known = preferences !== null;
  useEffect(() => {
    if (!known) return;
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
    writeCookie(THEME_COOKIE, theme);
  }, [known, theme]);
}

/** The app's language now: the preference when the app is written in it, else the browser's (languages.ts). */
export function useLanguage(): ResolvedLanguage {
  const { language } = useUiPreferences();
  return useMemo(() => resolveLanguage(language, browserLanguages()), [language]);
}

/** Read by the server for its own pages (sign-in failures) and for index.html's <html lang>. */
const LANGUAGE_COOKIE = APPEARANCE_COOKIES.language;

/** A year, as the person's other browser-side settings; not a secret, readable by scripts. */
const writeCookie = (name: string, value: string) => {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
};

/**
 * Puts the language on i18next, on <html lang> and in a cookie for the server's pages. Every
 * resource is bundled, so the change is synchronous: made before the browser paints (a layout
 * effect), no page shows its words in the old language.
 */
export function useApplyLanguage(): void {
  const { ui, locale } = useLanguage();
  useLayoutEffect(() => {
    if (i18n.resolvedLanguage !== ui) void i18n.changeLanguage(ui);
  }, [ui]);
  useEffect(() => {
    document.documentElement.lang = locale;
    writeCookie(LANGUAGE_COOKIE, locale);
  }, [locale]);
}

export interface Formatters {
  /** "27 Nov 2026, 10:15" in the person's language and time zone. */
  dateTime: (iso: string) => string;
  /** "in 5 minutes", "3 hours ago". */
  relative: (iso: string, now?: number) => string;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/**
 * Dates in the language `language` resolves to (null: the browser's, see languages.ts) and in
 * `timeZone` (null: the browser's), as the whole app shows them.
 */
export function makeFormatters(language: string | null, timeZone: string | null): Formatters {
  const { locale } = resolveLanguage(language, browserLanguages());
  const absolute = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: timeZone ?? undefined });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  return {
    dateTime: (iso) => absolute.format(new Date(iso)),
    relative: (iso, now = Date.now()) => {
      const diff = Date.parse(iso) - now;
      for (const [unit, size] of UNITS) {
        if (Math.abs(diff) >= size) return relative.format(Math.round(diff / size), unit);
      }
      return relative.format(0, 'minute');
    },
  };
}

/** Dates as the person asked for them (Preferences: language and time zone). */
export function useFormatters(): Formatters {
  const { language, timeZone } = useUiPreferences();
  return useMemo(() => makeFormatters(language, timeZone), [language, timeZone]);
}
