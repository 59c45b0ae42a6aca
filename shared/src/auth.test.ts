import { describe, expect, it } from 'vitest';
import { ZReturnTo } from './auth';
import { effectivePermissions, PERMISSIONS, ROLE_PERMISSIONS } from './permissions';

describe('ZReturnTo', () => {
  it.each(['/', '/dashboard', '/servers?tab=tools&x=%2F%2Fa', '/a/b#c'])('accepts the same-site path %j', (path) => {
    expect(ZReturnTo.parse(path)).toBe(path);
  });

  it.each([
    ['//evil.example', 'protocol-relative'],
    ['/\\evil.example', 'backslash that browsers read as a slash'],
    ['/a\\b', 'backslash anywhere'],
    ['https://evil.example/', 'absolute URL'],
    ['javascript:alert(1)', 'script URL'],
    ['dashboard', 'relative without a slash'],
    ['', 'empty'],
    ['/a\tb', 'tab'],
    ['/a\r\nSet-Cookie: x=1', 'header injection'],
    [`/${'a'.repeat(2048)}`, 'too long'],
  ])('refuses %j (%s)', (value) => {
    expect(ZReturnTo.safeParse(value).success).toBe(false);
  });
});

describe('permissions', () => {
  it('gives admins everything, members less, viewers only reads', () => {
    expect(effectivePermissions('admin')).toEqual([...PERMISSIONS]);
    expect(effectivePermissions('member')).toEqual(['registry:read', 'registry:write', 'tools:call', 'members:read']);
    expect(effectivePermissions('viewer')).toEqual(['registry:read', 'members:read']);
    for (const permission of ROLE_PERMISSIONS.viewer) expect(ROLE_PERMISSIONS.member).toContain(permission);
  });

  it("adds a membership's own permissions, ignoring names outside the catalogue", () => {
    expect(effectivePermissions('viewer', ['audit:read', 'root:everything', 'registry:read'])).toEqual([
      'registry:read',
      'members:read',
      'audit:read',
    ]);
  });
});
