import { describe, expect, it } from 'vitest';
import { INVITATION_DEFAULT_DAYS, ZInviteInput } from '@mreg/shared';
import { i18n } from '../../i18n';
import { DEFAULT_EXPIRY_DAYS, EXPIRY_DAY_CHOICES } from './invitations';

describe('invitation expiry choices', () => {
  it('offers the default, and only what the server takes', () => {
    expect(EXPIRY_DAY_CHOICES).toContain(DEFAULT_EXPIRY_DAYS);
    expect(DEFAULT_EXPIRY_DAYS).toBe(INVITATION_DEFAULT_DAYS);
    for (const days of EXPIRY_DAY_CHOICES) {
      expect(ZInviteInput.safeParse({ email: 'kim@northwind.test', role: 'member', expiresInDays: days }).success).toBe(true);
    }
  });

  it('says days in words, one and many, in both languages', () => {
    const en = i18n.getFixedT('en', 'members');
    const de = i18n.getFixedT('de', 'members');
    expect(EXPIRY_DAY_CHOICES.map((count) => en('invite.days', { count }))).toEqual(['1 day', '3 days', '7 days', '14 days', '30 days']);
    expect(EXPIRY_DAY_CHOICES.map((count) => de('invite.days', { count }))).toEqual(['1 Tag', '3 Tage', '7 Tage', '14 Tage', '30 Tage']);
  });
});

describe('the link instructions', () => {
  it('say that MREG sends nothing, to whom the admin sends the link, and for how long it works', () => {
    const values = { email: 'kim@northwind.test', until: '13 Dec 2026, 10:15' };
    expect(i18n.getFixedT('en', 'members')('link.instructions', values)).toBe(
      'MREG sends no email: copy this link and send it to kim@northwind.test yourself. It works once, for kim@northwind.test only, until 13 Dec 2026, 10:15.',
    );
    expect(i18n.getFixedT('de', 'members')('link.instructions', values)).toBe(
      'MREG versendet keine E-Mails: Kopieren Sie diesen Link und senden Sie ihn selbst an kim@northwind.test. Er gilt einmal, nur für kim@northwind.test, bis 13 Dec 2026, 10:15.',
    );
  });
});
