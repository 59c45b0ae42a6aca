import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { i18n } from '../../i18n';
import { initialValues, labelsFor, saveProblems } from './formValues';
import { placeRefusal } from './problems';
import { describeAuth, discoverySentence, duration } from './words';

describe('the registry in words', () => {
  it('says durations and discoveries, numbers in the locale given', () => {
    expect(duration(42.4)).toBe('42 ms');
    expect(duration(1340)).toBe('1.3 s');
    expect(discoverySentence({ ok: true, toolCount: 1, latencyMs: 42 })).toBe('Found 1 tool in 42 ms.');
    expect(discoverySentence({ ok: false, error: 'connection refused' })).toBe('It could not be reached: connection refused.');
  });

  it('says them in German, with the form’s labels and the server’s refusals', async () => {
    await i18n.changeLanguage('de');
    try {
      expect(duration(1340, 'de-DE')).toBe('1,3 s');
      expect(discoverySentence({ ok: true, toolCount: 1234, latencyMs: 42 }, 'de-DE')).toBe('1.234 Tools in 42 ms gefunden.');
      expect(describeAuth({ kind: 'header', name: 'X-Api-Key' })).toBe('Der Header X-Api-Key (sein Wert gespeichert, nicht angezeigt)');
      expect(saveProblems(initialValues(null), null)).toEqual({
        name: 'Name darf nicht leer sein',
        slug: 'Kürzel muss 1 bis 16 Zeichen lang sein: Kleinbuchstaben, Ziffern und -',
        url: 'URL ist erforderlich',
      });
      const taken = TRPCClientError.from({
        error: { message: 'slug: everything is already taken by another server in Contoso; choose another', code: -32600, data: { code: 'CONFLICT' } },
      });
      expect(placeRefusal(taken, labelsFor(initialValues(null))).fields).toEqual({
        slug: 'Kürzel: everything wird in Contoso bereits von einem anderen Server verwendet; wählen Sie ein anderes',
      });
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
