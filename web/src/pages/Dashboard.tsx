import { Link } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { Avatar } from '../components/Avatar';
import { PageTitle } from '../components/PageTitle';
import { navItems } from '../layout/nav';
import { aRole } from '../roles';
import { useJoined } from './invitations/joined';
import { useFormatters } from '../prefs/usePreferences';
import { UsageSection } from './usage/UsageSection';

/** Where sign-in lands: who you are, in which tenant, with which role, and where to go next. */
export function Dashboard() {
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const { user, userProfile, tenantContext, permissions, sessionInfo } = auth;
  const joined = useJoined(tenantContext?.tenantId);
  if (!user || !sessionInfo) return null;
  const name = userProfile?.displayName ?? user.name;
  const links = navItems(auth).filter((item) => item.path !== '/dashboard');

  return (
    <section>
      <div className="welcome">
        <Avatar name={name} url={userProfile?.avatarUrl ?? null} size={64} />
        <PageTitle title={`Welcome, ${name}`}>{user.email}</PageTitle>
      </div>
      <div role="status" className={joined ? 'banner banner-success joined-notice' : undefined}>
        {joined && (
          <p>
            You joined {joined.tenantName} as {aRole(joined.role)}, and it is now your active tenant. Your other tenants are a switch away, at the
            top of the page.
          </p>
        )}
      </div>
      <dl className="facts card">
        <dt>Active tenant</dt>
        <dd data-testid="tenant">{tenantContext ? tenantContext.tenantName : 'No active membership'}</dd>
        <dt>Your role</dt>
        <dd data-testid="role">{tenantContext?.role ?? '—'}</dd>
        <dt>Permissions</dt>
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
            'None in this tenant'
          )}
        </dd>
        <dt>Session ends at the latest</dt>
        <dd>{format.dateTime(sessionInfo.absoluteExpiresAt)}</dd>
      </dl>
      {tenantContext && auth.can('registry:read') && <UsageSection scope={`in ${tenantContext.tenantName}`} />}
      {links.length > 0 && (
        <>
          <h2>Quick links</h2>
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
