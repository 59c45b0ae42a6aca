import 'i18next';
import type { resources } from './resources';

// Keys are checked at typecheck against the English texts: t('nmae') fails to compile.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: (typeof resources)['en'];
  }
}
