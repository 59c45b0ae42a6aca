import { Trans, useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';

/**
 * On every page while the development sign-in is served beyond loopback (MREG_DEV_SIGN_IN=true):
 * anyone who reaches this server can sign in as any demo user, so nothing here is private.
 */
export function DevSignInBanner() {
  const auth = useEnhancedAuth();
  const { t } = useTranslation();
  if (!auth.features?.devSignInOpen) return null;
  return (
    <aside aria-label={t('devBanner.label')} className="banner banner-warning" data-testid="dev-sign-in-banner">
      <p>
        <Trans t={t} i18nKey="devBanner.text" components={{ strong: <strong /> }} />
      </p>
    </aside>
  );
}
