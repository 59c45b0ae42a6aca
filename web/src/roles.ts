import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { ROLES, ZRole, type Role } from '@mreg/shared';

/** How the app names roles to people; the names themselves (and what each allows) are shared/'s. */

/** A role's name in the app's language, as it reads in a sentence ("member", "Mitglied"); an unknown one as it came. */
export function useRoleName(): (role: string) => string {
  const { t } = useTranslation();
  return useCallback((role: string) => (ZRole.safeParse(role).success ? t(`roles.${role as Role}`) : role), [t]);
}

/** The roles to choose from, least rights first. */
export const ROLE_OPTIONS = [...ROLES].reverse();

export const ROLE_LABEL: Record<Role, string> = { admin: 'Admin', member: 'Member', viewer: 'Viewer' };

/** "an admin", "a member", "a viewer". */
export const aRole = (role: Role) => (role === 'admin' ? 'an admin' : `a ${role}`);

/** What a role lets someone do in a tenant, in a few words (ROLE_PERMISSIONS in shared/). */
export const ROLE_SUMMARY: Record<Role, string> = {
  admin: 'everything, including managing its members and their sessions',
  member: 'use its MCP servers and add or change them',
  viewer: 'see its MCP servers, without changing them or calling their tools',
};
