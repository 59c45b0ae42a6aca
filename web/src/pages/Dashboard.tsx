import { LoadError } from '../components/LoadError';
import { signInHref, useSession } from '../auth/session';

/** Where sign-in lands: who you are, in which tenant, with what rights, until when. */
export function Dashboard() {
  const session = useSession();

  if (session.isPending) return <p className="muted" aria-busy="true">Loading your account…</p>;
  if (session.signedOut) {
    return (
      <section>
        <h2>Dashboard</h2>
        <p>You are not signed in.</p>
        <p>
          <a className="button" href={signInHref('/dashboard')}>
            Sign in
          </a>
        </p>
      </section>
    );
  }
  if (session.isError) {
    return <LoadError what="Your account could not be loaded" error={session.error} retry={session.refetch} />;
  }

  const { user, tenantContext, permissions, sessionInfo } = session.data;
  return (
    <section aria-labelledby="dashboard-heading">
      <h2 id="dashboard-heading">Welcome, {user.name}</h2>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Active tenant</dt>
        <dd data-testid="tenant">{tenantContext ? `${tenantContext.tenantName} (${tenantContext.role})` : 'No active membership'}</dd>
        <dt>Permissions</dt>
        <dd>{permissions.length > 0 ? permissions.join(', ') : 'None'}</dd>
        <dt>Session ends</dt>
        <dd>{new Date(sessionInfo.expiresAt).toLocaleString()}</dd>
      </dl>
    </section>
  );
}
