import { describe, expect, it } from 'vitest';
import { INVITATION_DEFAULT_DAYS, ZInviteInput } from '@mreg/shared';
import { daysText, DEFAULT_EXPIRY_DAYS, EXPIRY_DAY_CHOICES, linkInstructions } from './invitations';

describe('invitation expiry choices', () => {
  it('offers the default, and only what the server takes', () => {
    expect(EXPIRY_DAY_CHOICES).toContain(DEFAULT_EXPIRY_DAYS);
    expect(DEFAULT_EXPIRY_DAYS).toBe(INVITATION_DEFAULT_DAYS);
    for (const days of EXPIRY_DAY_CHOICES) {
      expect(ZInviteInput.safeParse({ email: 'kim@northwind.test', role: 'member', expiresInDays: days }).success).toBe(true);
    }
  });

  it('says days in words', () => {
    expect(daysText(1)).toBe('1 day');
    expect(daysText(7)).toBe('7 days');
  });
});

describe('linkInstructions', () => {
  it('says that MREG sends nothing, to whom the admin sends the link, and for how long it works', () => {
    expect(linkInstructions('kim@northwind.test', '13 Dec 2026, 10:15')).toBe(
      'MREG sends no email: copy this link and send it to kim@northwind.test yourself. It works once, for kim@northwind.test only, until 13 Dec 2026, 10:15.',
    );
  });
});
