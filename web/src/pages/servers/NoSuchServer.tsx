import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { PageTitle } from '../../components/PageTitle';
import { errorCode } from '../../trpc';

/** Another tenant's server, a removed one, or an address that names none: the server says NOT_FOUND (or the id is no id). */
export const isNoSuchServer = (error: unknown) => errorCode(error) === 'NOT_FOUND' || errorCode(error) === 'BAD_REQUEST';

export function NoSuchServer() {
  const { t } = useTranslation('servers');
  const tenantName = useEnhancedAuth().tenantContext?.tenantName;
  return (
    <section>
      <PageTitle title={t('noSuch.title')}>{tenantName ? t('noSuch.lead', { tenant: tenantName }) : t('noSuch.leadUnknownTenant')}</PageTitle>
      <p>
        <Link href="/servers" className="button">
          {t('noSuch.back', { tenant: tenantName ?? t('thisTenant') })}
        </Link>
      </p>
    </section>
  );
}
