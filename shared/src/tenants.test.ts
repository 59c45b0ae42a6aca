import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PERMISSIONS } from './permissions';
import { ROLES } from './roles';
import { EMAIL_MAX_LENGTH, TENANT_ID_MAX_LENGTH, ZAddMemberInput, ZRemoveMemberInput, ZSwitchTenantInput, ZUpdateMemberInput } from './tenants';

/**
 * The tenant inputs against random and hostile values: a schema either accepts or refuses with a
 * zod error, never throws anything else, and every limit holds exactly at its edge.
 */

/** Parses without throwing: success, or a ZodError; anything else fails the property. */
function settles(schema: z.ZodType, value: unknown): boolean {
  const result = schema.safeParse(value);
  if (!result.success) expect(result.error).toBeInstanceOf(z.ZodError);
  return result.success;
}

const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.constantFrom('', ' ', '\u0000', '<script>alert(1)</script>', "' or 1=1 --", '../../etc/passwd', '\u202e', 'a'.repeat(100_000)),
);
const anything = fc.oneof(fc.anything(), hostileString, fc.jsonValue({ depthSize: 'large' }));

describe('tenant inputs under fast-check', () => {
  it('never throw anything but a validation error, whatever they are given', () => {
    fc.assert(
      fc.property(anything, anything, anything, anything, (a, b, c, d) => {
        for (const schema of [ZSwitchTenantInput, ZRemoveMemberInput, ZAddMemberInput, ZUpdateMemberInput]) {
          settles(schema, a);
          settles(schema, { tenantId: a, userId: b, email: c, role: d, permissions: a, isActive: b });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('take a tenant id up to its limit and not one character more, and no control characters', () => {
    // eslint-disable-next-line no-control-regex -- control characters are what the schema refuses
    const printable = fc.string({ minLength: 1, maxLength: TENANT_ID_MAX_LENGTH }).filter((id) => !/[\u0000-\u001f\u007f]/.test(id));
    fc.assert(fc.property(printable, (tenantId) => settles(ZSwitchTenantInput, { tenantId })));
    fc.assert(fc.property(printable, fc.integer({ min: 0, max: 0x1f }), (tenantId, code) => !settles(ZSwitchTenantInput, { tenantId: `${tenantId}${String.fromCharCode(code)}` })));
    fc.assert(
      fc.property(fc.string({ minLength: TENANT_ID_MAX_LENGTH + 1, maxLength: 2000 }), (tenantId) => !settles(ZSwitchTenantInput, { tenantId })),
    );
  });

  it('take only catalogued roles and permissions, each permission once', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 10 }), (role, permissions) => {
        const accepted = settles(ZUpdateMemberInput, { userId: '6f1c0e2b-4a7d-4c44-9a51-0c0a70500001', role, permissions });
        const valid = (ROLES as readonly string[]).includes(role) && permissions.every((p) => (PERMISSIONS as readonly string[]).includes(p)) && new Set(permissions).size === permissions.length;
        expect(accepted).toBe(valid);
      }),
    );
    fc.assert(
      fc.property(fc.subarray([...PERMISSIONS]), fc.constantFrom(...ROLES), (permissions, role) =>
        settles(ZUpdateMemberInput, { userId: '6f1c0e2b-4a7d-4c44-9a51-0c0a70500001', role, permissions }),
      ),
    );
  });

  it('take an email address up to its limit, trimmed', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.constantFrom(...ROLES), (email, role) => {
        const result = ZAddMemberInput.safeParse({ email: ` ${email} `, role });
        // fast-check's addresses follow RFC 5322, which is broader than zod's practical pattern.
        if (result.success) expect(result.data.email).toBe(email);
        return email.length <= EMAIL_MAX_LENGTH || !result.success;
      }),
    );
    // 64 + 1 + 255: the longest address there is, with DNS labels of at most 63 characters.
    const label = 'b'.repeat(63);
    const atLimit = `${'a'.repeat(64)}@${label}.${label}.${label}.${'c'.repeat(58)}.test`;
    expect(atLimit).toHaveLength(EMAIL_MAX_LENGTH);
    expect(ZAddMemberInput.safeParse({ email: atLimit, role: 'viewer' }).success).toBe(true);
    expect(ZAddMemberInput.safeParse({ email: `a${atLimit}`, role: 'viewer' }).error?.issues[0]?.message).toBe(
      `is longer than ${EMAIL_MAX_LENGTH} characters`,
    );
  });
});
