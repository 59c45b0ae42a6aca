import { describe, expect, it } from 'vitest';
import type { InvitationView } from '@mreg/shared';
import { i18n } from '../../i18n';
import { closedWords, notForYouWords } from './words';

const view: InvitationView = {
  tenantName: 'Contoso',
  role: 'member',
  email: 'kim@northwind.test',
  invitedBy: 'Ada Lovelace',
  expiresAt: '2026-12-13T10:15:00.000Z',
  status: 'pending',
  forYou: true,
  yourEmail: 'kim@northwind.test',
};
const en = i18n.getFixedT('en', 'members');
const de = i18n.getFixedT('de', 'members');

describe('closedWords', () => {
  it('sends an expired link back to the person who invited', () => {
    expect(closedWords(en, { ...view, status: 'expired' }, '13 Dec 2026')).toEqual({
      title: 'This invitation has expired',
      text: 'The invitation for kim@northwind.test to join Contoso ended on 13 Dec 2026. Ask Ada Lovelace for a new link.',
    });
    expect(closedWords(de, { ...view, status: 'expired' }, '13.12.2026')).toEqual({
      title: 'Diese Einladung ist abgelaufen',
      text: 'Die Einladung für kim@northwind.test, Contoso beizutreten, endete am 13.12.2026. Bitten Sie Ada Lovelace um einen neuen Link.',
    });
  });

  it("names the tenant's admins when the person who invited is no longer known", () => {
    expect(closedWords(en, { ...view, status: 'expired', invitedBy: null }, '13 Dec 2026').text).toContain('Ask an admin of Contoso for a new link.');
    expect(closedWords(de, { ...view, status: 'expired', invitedBy: null }, '13.12.2026').text).toContain('Bitten Sie einen Admin von Contoso um einen neuen Link.');
  });

  it('says a used or declined link works only once', () => {
    expect(closedWords(en, { ...view, status: 'accepted' }, '').text).toContain('an invitation link works only once');
    expect(closedWords(en, { ...view, status: 'declined' }, '').text).toContain('an invitation link works only once');
    expect(closedWords(de, { ...view, status: 'declined' }, '').text).toContain('ein Einladungslink gilt nur einmal');
  });

  it('says a revoked link was withdrawn by an admin', () => {
    expect(closedWords(en, { ...view, status: 'revoked' }, '')).toMatchObject({ title: 'This invitation was revoked', text: expect.stringContaining('An admin of Contoso withdrew') });
  });
});

describe('notForYouWords', () => {
  it('names both addresses and what to do', () => {
    expect(notForYouWords(en, { ...view, yourEmail: 'ada@contoso.test' }).text).toBe(
      'This invitation to Contoso is for kim@northwind.test, and you are signed in as ada@contoso.test: sign out and sign in as kim@northwind.test to accept it.',
    );
    expect(notForYouWords(de, { ...view, yourEmail: 'ada@contoso.test' }).text).toBe(
      'Diese Einladung zu Contoso gilt kim@northwind.test, und Sie sind als ada@contoso.test angemeldet: Melden Sie sich ab und als kim@northwind.test an, um sie anzunehmen.',
    );
  });
});
