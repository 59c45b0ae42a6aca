import { describe, expect, it } from 'vitest';
import { ZCreateApiKeyInput } from '@mreg/shared';
import { createKeyInput, EXPIRY_CHOICES, expiryState, hintText } from './expiry';

describe('createKeyInput', () => {
  it('sends the days chosen, and no expiry for "never"; every choice passes the shared schema', () => {
    expect(createKeyInput('laptop', '30')).toEqual({ name: 'laptop', expiresInDays: 30 });
    expect(createKeyInput('ci', 'never')).toEqual({ name: 'ci' });
    for (const { value } of EXPIRY_CHOICES) expect(ZCreateApiKeyInput.safeParse(createKeyInput('k', value)).success).toBe(true);
  });

  it('leaves the name to the schema, which refuses an empty one', () => {
    const result = ZCreateApiKeyInput.safeParse(createKeyInput('', '7'));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['name']]);
  });
});

describe('expiryState', () => {
  it("follows the server's word on expiry", () => {
    expect(expiryState({ expiresAt: null, expired: false })).toEqual({ kind: 'never' });
    expect(expiryState({ expiresAt: '2026-01-01T00:00:00.000Z', expired: true })).toEqual({ kind: 'expired', at: '2026-01-01T00:00:00.000Z' });
    expect(expiryState({ expiresAt: '2026-01-01T00:00:00.000Z', expired: false })).toEqual({ kind: 'expires', at: '2026-01-01T00:00:00.000Z' });
  });
});

describe('hintText', () => {
  it('marks the hint as the start of a key', () => {
    expect(hintText({ hint: 'mreg_pat_AbCd' })).toBe('mreg_pat_AbCd…');
  });
});
