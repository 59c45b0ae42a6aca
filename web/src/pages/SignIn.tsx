import { useEffect } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { Redirect, useSearchParams } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { forgetSignedIn, loginHref, safeReturnTo } from '../auth/navigation';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';

/** What MREG is and one way in. Signed in already, it goes on to where the person was headed. */
export function SignIn() {
  const { t } = useTranslation('signin');
  const auth = useEnhancedAuth();
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('returnTo'));
  const reason = params.get('reason');

  // Said once: the next visit without a session is a first one again.
  useEffect(() => {
    if (reason === 'ended') forgetSignedIn();
  }, [reason]);

  if (auth.isLoading) return <Skeleton lines={3} label={t('checking')} />;
  if (auth.isAuthenticated) return <Redirect to={returnTo} replace />;
  const signInWith = auth.features?.signIn;

  return (
    <section className="sign-in">
      <PageTitle title={t('title')}>{t('lead')}</PageTitle>
      {reason === 'ended' && (
        <div role="status" className="banner banner-info">
          <p>{t('ended')}</p>
        </div>
      )}
      {reason === null && returnTo !== '/dashboard' && !returnTo.startsWith('/oauth/consent') && !returnTo.startsWith('/invitations/') && (
        <div role="status" className="banner banner-info">
          <p>
            <Trans t={t} i18nKey="toOpen" values={{ path: returnTo.split(/[?#]/, 1)[0] }} components={{ code: <code /> }} />
          </p>
        </div>
      )}
      {returnTo.startsWith('/oauth/consent') && (
        <div role="status" className="banner banner-info">
          <p>{t('consent')}</p>
        </div>
      )}
      {reason === 'signed-out' && (
        <div role="status" className="banner banner-info">
          <p>{t('signedOut')}</p>
        </div>
      )}
      {returnTo.startsWith('/invitations/') && (
        <div role="status" className="banner banner-info">
          <p>{t('invitation')}</p>
        </div>
      )}
      {auth.error && <LoadError what={t('unreachable')} error={auth.error} retry={auth.retry} />}
      <div className="card sign-in-card">
        <a className="button primary large" href={loginHref(returnTo)}>
          {signInWith === 'entra-id' ? t('signInMicrosoft') : t('signIn')}
        </a>
        {signInWith === 'development' && (
          <p className="note" data-testid="dev-provider-note">
            <Trans t={t} i18nKey="devNote" components={{ strong: <strong /> }} />
          </p>
        )}
      </div>
    </section>
  );
}
