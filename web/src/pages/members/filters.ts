import type { Role, TenantMember } from '@mreg/shared';
import { nameOf } from './problems';

/** What the admin's members list is narrowed to: words in a name or email, a role, a state. */
export interface MemberFilter {
  query: string;
  role: Role | 'all';
  status: 'all' | 'active' | 'deactivated';
}

export const NO_FILTER: MemberFilter = { query: '', role: 'all', status: 'all' };

export const isFiltered = (filter: MemberFilter) => filter.query.trim() !== '' || filter.role !== 'all' || filter.status !== 'all';

/** Lower case without accents, so that "jose" finds "José" and "ADA" finds "Ada". */
const folded = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();

/**
 * The members the filter lets through, in the order given. Every word of the query must appear in
 * the chosen name, the directory's name or the email, in any order: "umarova uma" finds Uma Umarova.
 */
export function filterMembers(members: readonly TenantMember[], filter: MemberFilter): TenantMember[] {
  const words = folded(filter.query).split(/\s+/).filter(Boolean);
  return members.filter((member) => {
    if (filter.role !== 'all' && member.role !== filter.role) return false;
    if (filter.status !== 'all' && member.isActive !== (filter.status === 'active')) return false;
    const haystack = folded(`${nameOf(member)} ${member.name} ${member.email}`);
    return words.every((word) => haystack.includes(word));
  });
}
