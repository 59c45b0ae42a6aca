import { describe, expect, it } from 'vitest';
import { resolveLanguage } from './languages';

describe('resolveLanguage', () => {
  it('follows the preference when the app is written in it, with its region for dates', () => {
    expect(resolveLanguage('de-AT', ['en-US'])).toEqual({ ui: 'de', locale: 'de-AT' });
    expect(resolveLanguage('en-GB', ['de-DE'])).toEqual({ ui: 'en', locale: 'en-GB' });
  });

  it("else takes the first of the browser's languages that the app is written in", () => {
    expect(resolveLanguage(null, ['fr-FR', 'de-CH', 'en-US'])).toEqual({ ui: 'de', locale: 'de-CH' });
    expect(resolveLanguage('fr-FR', ['fr-FR', 'en-GB'])).toEqual({ ui: 'en', locale: 'en-GB' });
    expect(resolveLanguage(null, ['DE'])).toEqual({ ui: 'de', locale: 'DE' });
  });

  it('else English', () => {
    expect(resolveLanguage(null, ['ja-JP'])).toEqual({ ui: 'en', locale: 'en-US' });
    expect(resolveLanguage(null, [])).toEqual({ ui: 'en', locale: 'en-US' });
  });
});
