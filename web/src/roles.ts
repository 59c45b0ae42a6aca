import { ROLES, type Role } from '@mreg/shared';

/** How the app names roles to people; the names themselves (and what each allows) are shared/'s. */

/** The roles to choose from, least rights first. */
export const ROLE_OPTIONS = [...ROLES].reverse();

export const ROLE_LABEL: Record<Role, string> = { admin: 'Admin', member: 'Member', viewer: 'Viewer' };

/** "an admin", "a member", "a viewer". */
export const aRole = (role: Role) => (role === 'admin' ? 'an admin' : `a ${role}`);
