import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { ROLES, ZRole, type Role } from '@mreg/shared';

/** How the app names roles to people (in its language); the roles themselves (and what each allows) are shared/'s. */

/** A role's name in the app's language, as it reads in a sentence ("member", "Mitglied"); an unknown one as it came. */
export function useRoleName(): (role: string) => string {
  const { t } = useTranslation();
  return useCallback((role: string) => (ZRole.safeParse(role).success ? t(`roles.${role as Role}`) : role), [t]);
}

/** The roles to choose from, least rights first. */
export const ROLE_OPTIONS = [...ROLES].reverse();
