import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { DirectoryMember } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { useLanguage } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';

/**
 * The active tenant's directory (tenants.directory: names, pictures, roles), read when this person
 * may see it: members:read, with role-based pages switched on. `allowed` says whether it was asked.
 */
export function useDirectory() {
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const allowed = Boolean(auth.features?.roleBasedUi) && auth.can('members:read');
  const query = useQuery({ ...trpc.tenants.directory.queryOptions(), enabled: allowed });
  return { allowed, query };
}

/** The tenant's admins: whom the others ask for a role, an invitation or a right. */
export const adminsOf = (people: readonly DirectoryMember[]) => people.filter((person) => person.role === 'admin');

/** "Ada Lovelace, Bob Brown and Cy Cole" in the app's language. */
export function useNameList(): (names: readonly string[]) => string {
  const { locale } = useLanguage();
  return useMemo(() => {
    const list = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
    return (names) => list.format(names);
  }, [locale]);
}
