import { Trans, useTranslation } from 'react-i18next';
import { useState } from 'react';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { currentLocation, loginHref } from '../auth/navigation';
import { useFormatters } from '../prefs/usePreferences';
import { errorMessage } from '../trpc';

/** A minute's notice before a sign-out: a new sign-in for the absolute end, or staying for an idle one. */
export function ExpiryBanner() {
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const { t } = useTranslation();
  const [failure, setFailure] = useState<string | null>(null);
  const warning = auth.expiryWarning;
  if (!warning) return null;
  const when = format.dateTime(new Date(warning.endsAt).toISOString());
  return (
    <div role="alert" className="banner banner-warning">
      {warning.reason === 'lifetime' ? (
        <p>
          <Trans t={t} i18nKey="expiry.lifetime" values={{ when }} components={{ strong: <strong /> }} />
        </p>
      ) : (
        <p>
          <Trans t={t} i18nKey="expiry.idle" values={{ when }} components={{ strong: <strong /> }} />
        </p>
      )}
      {warning.reason === 'lifetime' ? (
        <a className="button" href={loginHref(currentLocation())}>
          {t('expiry.signInAgain')}
        </a>
      ) : (
        <button type="button" onClick={() => auth.refreshSession().catch((error: unknown) => setFailure(errorMessage(error)))}>
          {t('expiry.staySignedIn')}
        </button>
      )}
      {failure && <p className="field-error">{failure}</p>}
    </div>
  );
}
