import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { browserLanguages, resolveLanguage } from './languages';
import { NAMESPACES, resources } from './resources';

/**
 * The app's one i18next instance. It starts in the browser's language (before anyone is known) and
 * follows the person's Language preference once it is read (useApplyLanguage, in App). Every resource is
 * bundled, so a change of language is synchronous: no page is ever shown half translated.
 */
void i18n.use(initReactI18next).init({
  resources,
  lng: resolveLanguage(null, browserLanguages()).ui,
  fallbackLng: 'en',
  supportedLngs: ['en', 'de'],
  ns: [...NAMESPACES],
  defaultNS: 'common',
  // React escapes what it renders; escaping here too would show &amp; in the page.
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
});

export { i18n };

/**
 * A server's code ("last_admin", "NOT_FOUND") as a key of the words: camelCase, since i18next reads
 * "_" in a key as its plural and context separator.
 */
export const codeKey = (code: string) => code.toLowerCase().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
