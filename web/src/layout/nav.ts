import type { EnhancedAuth } from '../auth/EnhancedAuthProvider';
import { i18n } from '../i18n';

export interface NavItem {
  path: string;
  label: string;
  /** What the page is for, on the dashboard's quick links. */
  description: string;
}

/**
 * The pages this person can use here: features switched off and rights not held leave no link.
 * In the app's language now: callers render under useTranslation, so a change of language redraws them.
 */
export function navItems(auth: EnhancedAuth): NavItem[] {
  const t = i18n.t;
  const f = auth.features;
  const items: NavItem[] = [{ path: '/dashboard', label: t('nav.dashboard'), description: t('nav.dashboardAbout') }];
  if (auth.can('registry:read')) {
    items.push({ path: '/servers', label: t('nav.servers'), description: t('nav.serversAbout') });
  }
  // Any member may hold keys (with at most their own permissions); they belong to the active tenant.
  if (auth.tenantContext) {
    items.push({ path: '/api-keys', label: t('nav.apiKeys'), description: t('nav.apiKeysAbout') });
  }
  if (f?.userProfiles) {
    items.push(
      { path: '/profile', label: t('nav.profile'), description: t('nav.profileAbout') },
      { path: '/preferences', label: t('nav.preferences'), description: t('nav.preferencesAbout') },
    );
  }
  if (f?.sessionManagement) items.push({ path: '/sessions', label: t('nav.sessions'), description: t('nav.sessionsAbout') });
  // Everyone who may see who is in the tenant (members:read); those who manage it see more there.
  if (f?.roleBasedUi && auth.can('members:read')) {
    items.push({ path: '/members', label: t('nav.members'), description: t('nav.membersAbout') });
  }
  if (auth.can('audit:read')) items.push({ path: '/audit', label: t('nav.audit'), description: t('nav.auditAbout') });
  return items;
}
