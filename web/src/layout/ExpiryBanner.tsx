import { useState } from 'react';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { currentLocation, loginHref } from '../auth/navigation';
import { useFormatters } from '../prefs/usePreferences';
import { errorMessage } from '../trpc';

/** A minute's notice before a sign-out: a new sign-in for the absolute end, or staying for an idle one. */
export function ExpiryBanner() {
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const [failure, setFailure] = useState<string | null>(null);
  const warning = auth.expiryWarning;
  if (!warning) return null;
  const when = format.dateTime(new Date(warning.endsAt).toISOString());
  return (
    <div role="alert" className="banner banner-warning">
      {warning.reason === 'lifetime' ? (
        <p>
          <strong>You will be signed out within a minute ({when}):</strong> this session has reached the end of its lifetime.
          Save your work, then sign in again to go on.
        </p>
      ) : (
        <p>
          <strong>You will be signed out within a minute ({when})</strong> because nothing has happened here for a while.
        </p>
      )}
      {warning.reason === 'lifetime' ? (
        <a className="button" href={loginHref(currentLocation())}>
          Sign in again now
        </a>
      ) : (
        <button type="button" onClick={() => auth.refreshSession().catch((error: unknown) => setFailure(errorMessage(error)))}>
          Stay signed in
        </button>
      )}
      {failure && <p className="field-error">{failure}</p>}
    </div>
  );
}
