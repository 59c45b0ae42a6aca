import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { ZRole } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { Avatar } from '../components/Avatar';
import { PageTitle } from '../components/PageTitle';
import { navItems } from '../layout/nav';
import { useJoined } from './invitations/joined';
import { useFormatters } from '../prefs/usePreferences';
import { UsageSection } from './usage/UsageSection';

/** Where sign-in lands: who you are, in which tenant, with which role, and where to go next. */
export function Dashboard() {
  const { t } = useTranslation('dashboard');
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const { user, userProfile, tenantContext, permissions, sessionInfo } = auth;
  const joined = useJoined(tenantContext?.tenantId);
  if (!user || !sessionInfo) return null;
  const name = userProfile?.displayName ?? user.name;
  const links = navItems(auth).filter((item) => item.path !== '/dashboard');
  // A role this app does not know is shown as the server names it.
  const role = ZRole.safeParse(tenantContext?.role);
  const canSeeUsage = auth.can('registry:read');

  return (
    <section>
      <div className="welcome">
        <Avatar name={name} url={userProfile?.avatarUrl ?? null} size={64} />
        <PageTitle title={t('welcome', { name })}>{user.email}</PageTitle>
      </div>
      <div role="status" className={joined ? 'banner banner-success joined-notice' : undefined}>
        {joined && (
          <p>{t('joined', { tenant: joined.tenantName, role: t(`roleAs.${joined.role}`) })}</p>
        )}
      </div>
      <dl className="facts card">
        <dt>{t('activeTenant')}</dt>
        <dd data-testid="tenant">{tenantContext ? tenantContext.tenantName : t('noMembership')}</dd>
        <dt>{t('yourRole')}</dt>
        <dd data-testid="role">{role.success ? t(`role.${role.data}`) : (tenantContext?.role ?? '—')}</dd>
        <dt>{t('permissions')}</dt>
        <dd>
          {permissions.length > 0 ? (
            <ul className="chips">
              {permissions.map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          ) : (
            t('noPermissions')
          )}
        </dd>
        <dt>{t('sessionEnds')}</dt>
        <dd>{format.dateTime(sessionInfo.absoluteExpiresAt)}</dd>
      </dl>
      {tenantContext && canSeeUsage && <UsageSection scope={t('usageScope', { tenant: tenantContext.tenantName })} />}
      {links.length > 0 && (
        <>
          <h2>{t('quickLinks')}</h2>
          <ul className="quick-links">
            {links.map((item) => (
              <li key={item.path}>
                <Link href={item.path} className="card link-card">
                  <strong>{item.label}</strong>
                  <span className="muted">{item.description}</span>
                </Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
