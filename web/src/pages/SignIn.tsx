import { useEffect } from 'react';
import { Redirect, useSearchParams } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { forgetSignedIn, loginHref, safeReturnTo } from '../auth/navigation';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';

/** What MREG is and one way in. Signed in already, it goes on to where the person was headed. */
export function SignIn() {
  const auth = useEnhancedAuth();
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('returnTo'));
  const reason = params.get('reason');

  // Said once: the next visit without a session is a first one again.
  useEffect(() => {
    if (reason === 'ended') forgetSignedIn();
  }, [reason]);

  if (auth.isLoading) return <Skeleton lines={3} label="Checking whether you are signed in…" />;
  if (auth.isAuthenticated) return <Redirect to={returnTo} replace />;

  return (
    <section className="sign-in">
      <PageTitle title="Sign in to MREG">
        The MCP Registry Gateway: one place for your organisation's MCP servers, with your company sign-in, your tenants and
        what your role lets you do in each.
      </PageTitle>
      {reason === 'ended' && (
        <div role="status" className="banner banner-info">
          <p>Your session has ended. Sign in again to go back to where you were.</p>
        </div>
      )}
      {reason === null && returnTo !== '/dashboard' && !returnTo.startsWith('/oauth/consent') && !returnTo.startsWith('/invitations/') && (
        <div role="status" className="banner banner-info">
          <p>
            Sign in to open <code>{returnTo.split(/[?#]/, 1)[0]}</code>: MREG shows it only to people who are signed in. You will be taken there
            afterwards.
          </p>
        </div>
      )}
      {returnTo.startsWith('/oauth/consent') && (
        <div role="status" className="banner banner-info">
          <p>An MCP client asks to connect to MREG as you. Sign in first; then you will see what it asks for, and approve or deny it.</p>
        </div>
      )}
      {reason === 'signed-out' && (
        <div role="status" className="banner banner-info">
          <p>You have signed out.</p>
        </div>
      )}
      {returnTo.startsWith('/invitations/') && (
        <div role="status" className="banner banner-info">
          <p>
            You have an invitation to join a tenant in MREG. Sign in with the email address it was sent to; then you will see who invited you
            and as what, and can accept or decline.
          </p>
        </div>
      )}
      {auth.error && <LoadError what="The server could not be reached" error={auth.error} retry={auth.retry} />}
      <div className="card sign-in-card">
        <a className="button primary large" href={loginHref(returnTo)}>
          {auth.features?.signIn === 'entra-id' ? 'Sign in with Microsoft' : 'Sign in'}
        </a>
        {auth.features?.signIn === 'development' && (
          <p className="note" data-testid="dev-provider-note">
            This server uses its built-in <strong>development sign-in provider</strong>, because Microsoft Entra ID is not
            configured. You will pick one of the demo people (Ada, Uma or Vic), or give any other email address to sign in as a new person;
            nothing is checked. Never use this mode for
            real people.
          </p>
        )}
      </div>
    </section>
  );
}
