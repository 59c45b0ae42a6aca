import { describe, expect, it } from 'vitest';
import type { TenantMember } from '@mreg/shared';
import { filterMembers, isFiltered, NO_FILTER } from './filters';

const member = (email: string, name: string, extra: Partial<TenantMember> = {}): TenantMember => ({
  userId: crypto.randomUUID(),
  email,
  name,
  displayName: null,
  role: 'member',
  permissions: [],
  effectivePermissions: [],
  isActive: true,
  joinedAt: '2026-12-01T10:00:00.000Z',
  lastActive: null,
  ...extra,
});

const ada = member('ada@contoso.test', 'Ada Lovelace', { role: 'admin' });
const uma = member('uma@contoso.test', 'Uma Umarova', { displayName: 'Umi' });
const jose = member('jose@northwind.test', 'José Núñez', { role: 'viewer', isActive: false });
const all = [ada, uma, jose];
const emails = (list: TenantMember[]) => list.map((m) => m.email);

describe('filterMembers', () => {
  it('lets everyone through without a filter, in the order given', () => {
    expect(filterMembers(all, NO_FILTER)).toEqual(all);
    expect(isFiltered(NO_FILTER)).toBe(false);
  });

  it('finds words of the chosen name, the directory name or the email, in any case or order, accents aside', () => {
    expect(emails(filterMembers(all, { ...NO_FILTER, query: 'LOVE' }))).toEqual(['ada@contoso.test']);
    expect(emails(filterMembers(all, { ...NO_FILTER, query: 'umi' }))).toEqual(['uma@contoso.test']);
    expect(emails(filterMembers(all, { ...NO_FILTER, query: 'umarova uma' }))).toEqual(['uma@contoso.test']);
    expect(emails(filterMembers(all, { ...NO_FILTER, query: 'nunez' }))).toEqual(['jose@northwind.test']);
    expect(emails(filterMembers(all, { ...NO_FILTER, query: 'contoso.test' }))).toEqual(['ada@contoso.test', 'uma@contoso.test']);
    expect(filterMembers(all, { ...NO_FILTER, query: 'ada northwind' })).toEqual([]);
    expect(isFiltered({ ...NO_FILTER, query: '  ' })).toBe(false);
  });

  it('narrows by role and by state, together with the words', () => {
    expect(emails(filterMembers(all, { ...NO_FILTER, role: 'admin' }))).toEqual(['ada@contoso.test']);
    expect(emails(filterMembers(all, { ...NO_FILTER, status: 'deactivated' }))).toEqual(['jose@northwind.test']);
    expect(emails(filterMembers(all, { ...NO_FILTER, status: 'active' }))).toEqual(['ada@contoso.test', 'uma@contoso.test']);
    expect(filterMembers(all, { query: 'uma', role: 'viewer', status: 'all' })).toEqual([]);
    expect(isFiltered({ ...NO_FILTER, status: 'active' })).toBe(true);
  });
});
