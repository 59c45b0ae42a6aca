import { describe, expect, it } from 'vitest';
import { SIGN_IN_FAILURES } from '../identity/errors';
import de from './de';
import en from './en';
import { pageLanguage, pageWords } from './index';

const variables = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]).sort();

describe("the server pages' words", () => {
  it('has every sign-in failure in both languages, with the same {{values}}', () => {
    for (const reason of Object.keys(SIGN_IN_FAILURES)) expect(en[`failure.${reason}` as keyof typeof en], reason).toBeTruthy();
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(variables(de[key]), key).toEqual(variables(en[key]));
  });

  it('picks the cookie, else the best accepted language, else English', () => {
    const accepts = (best: string | false) => () => best;
    expect(pageLanguage('de-DE', accepts('en'))).toBe('de');
    expect(pageLanguage('en-GB', accepts('de'))).toBe('en');
    expect(pageLanguage(undefined, accepts('de'))).toBe('de');
    expect(pageLanguage('fr-FR', accepts(false))).toBe('en');
    expect(pageWords('de').say('dev.membership', { role: 'Admin', tenant: 'Contoso' })).toBe('Admin in Contoso');
  });
});
