import { describe, expect, it } from 'vitest';
import { ERROR_REASONS } from '@mreg/shared';
import { i18n } from './index';
import { resources } from './resources';
import { CODE_WORDS, reasonText } from '../trpc';
import { fieldMessage } from './validation';

type Tree = { [key: string]: string | Tree };

/** Every key path of a namespace with its text. */
function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') found.set(`${prefix}${key}`, value);
    else for (const [path, text] of leaves(value, `${prefix}${key}.`)) found.set(path, text);
  }
  return found;
}

const variables = (text: string) => [...text.matchAll(/\{\{\s*(\w+)/g)].map((match) => match[1]).sort();
const tags = (text: string) => [...text.matchAll(/<(\/?\w+)\s*\/?>/g)].map((match) => match[1]).sort();

describe('translations', () => {
  for (const namespace of Object.keys(resources.en) as (keyof typeof resources.en)[]) {
    it(`${namespace}: German has every English key, none empty, with the same {{values}} and <tags>`, () => {
      const en = leaves(resources.en[namespace] as Tree);
      const de = leaves(resources.de[namespace] as Tree);
      expect([...de.keys()].sort()).toEqual([...en.keys()].sort());
      for (const [key, text] of en) {
        const german = de.get(key)!;
        expect(text.trim(), `en ${namespace}:${key}`).not.toBe('');
        expect(german.trim(), `de ${namespace}:${key}`).not.toBe('');
        expect(variables(german), `de ${namespace}:${key} values`).toEqual(variables(text));
        expect(tags(german), `de ${namespace}:${key} tags`).toEqual(tags(text));
      }
    });
  }

  it("says every reason code of the server's in both languages", () => {
    for (const language of ['en', 'de'] as const) {
      const reasons = leaves(resources[language].common.reasons as Tree);
      for (const reason of ERROR_REASONS) {
        const key = reason.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
        expect(reasons.get(key), `${language} reasons.${key}`).toBeTruthy();
      }
    }
  });

  it('says every tRPC code and reason code in words, never as its key, in both languages', async () => {
    for (const language of ['en', 'de'] as const) {
      await i18n.changeLanguage(language);
      for (const key of [...Object.values(CODE_WORDS), 'errors.code.other'] as const) {
        expect(i18n.exists(key), `${language} ${key}`).toBe(true);
        expect(i18n.t(key)).not.toBe(key);
      }
      for (const reason of ERROR_REASONS) expect(reasonText(reason), `${language} ${reason}`).not.toMatch(/^reasons\./);
    }
    await i18n.changeLanguage('en');
  });

  it('says field messages in German with their values, and keeps an unknown one as written', async () => {
    await i18n.changeLanguage('de');
    try {
      expect(fieldMessage('is longer than 80 characters')).toBe('ist länger als 80 Zeichen');
      expect(fieldMessage('must start with http:// or https://, not ftp://')).toBe('muss mit http:// oder https:// beginnen, nicht mit ftp://');
      expect(fieldMessage('contains an invisible character (U+200B ZERO WIDTH SPACE), which is not allowed')).toBe(
        'enthält ein unsichtbares Zeichen (U+200B ZERO WIDTH SPACE), das nicht erlaubt ist',
      );
      expect(fieldMessage('is required')).toBe('ist erforderlich');
      expect(fieldMessage('a brand new rule')).toBe('a brand new rule');
    } finally {
      await i18n.changeLanguage('en');
    }
    expect(fieldMessage('is longer than 80 characters')).toBe('is longer than 80 characters');
  });
});
