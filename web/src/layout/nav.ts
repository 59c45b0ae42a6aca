import type { EnhancedAuth } from '../auth/EnhancedAuthProvider';

export interface NavItem {
  path: string;
  label: string;
}

/** The pages this person can use here: features switched off and rights not held leave no link. */
export function navItems(auth: EnhancedAuth): NavItem[] {
  const f = auth.features;
  const items: NavItem[] = [{ path: '/dashboard', label: 'Dashboard' }];
  if (f?.userProfiles) items.push({ path: '/profile', label: 'Profile' }, { path: '/preferences', label: 'Preferences' });
  if (f?.sessionManagement) items.push({ path: '/sessions', label: 'Sessions' });
  if (f?.roleBasedUi && auth.can('members:manage')) items.push({ path: '/members', label: 'Members' });
  return items;
}
