import type { EnhancedAuth } from '../auth/EnhancedAuthProvider';

export interface NavItem {
  path: string;
  label: string;
  /** What the page is for, on the dashboard's quick links. */
  description: string;
}

/** The pages this person can use here: features switched off and rights not held leave no link. */
export function navItems(auth: EnhancedAuth): NavItem[] {
  const f = auth.features;
  const items: NavItem[] = [{ path: '/dashboard', label: 'Dashboard', description: 'Who you are here, and where to go next.' }];
  if (auth.can('registry:read')) {
    items.push({ path: '/servers', label: 'Servers', description: 'The MCP servers behind MREG, what they offer and how they are.' });
  }
  // Any member may hold keys (with at most their own permissions); they belong to the active tenant.
  if (auth.tenantContext) {
    items.push({ path: '/api-keys', label: 'API keys', description: 'Keys for your MCP clients and scripts, acting as you here.' });
  }
  if (f?.userProfiles) {
    items.push(
      { path: '/profile', label: 'Profile', description: 'Your name, picture and a few words about you.' },
      { path: '/preferences', label: 'Preferences', description: 'Theme, language and time zone.' },
    );
  }
  if (f?.sessionManagement) items.push({ path: '/sessions', label: 'Sessions', description: 'Where you are signed in, and the MCP clients you connected.' });
  // Everyone who may see who is in the tenant (members:read); those who manage it see more there.
  if (f?.roleBasedUi && auth.can('members:read')) {
    items.push({ path: '/members', label: 'Members', description: 'Who belongs to this tenant, and their roles.' });
  }
  if (auth.can('audit:read')) items.push({ path: '/audit', label: 'Audit', description: 'Who did what here, and when: sign-ins, changes and tool calls.' });
  return items;
}
