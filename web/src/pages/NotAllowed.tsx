import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Permission, TenantContext } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { PageTitle } from '../components/PageTitle';
import { adminsOf, useDirectory, useNameList } from './members/directory';

/** The page exists, but not for this person in this tenant: say which right it takes and whom to ask for it. */
export function NotAllowed({ permission }: { permission: Permission }) {
  const { t } = useTranslation('members');
  const { tenantContext } = useEnhancedAuth();
  return (
    <section>
      <PageTitle title={t('notAllowed.title')}>{t('notAllowed.lead')}</PageTitle>
      <p>
        {tenantContext ? (
          <Trans
            t={t}
            i18nKey="notAllowed.needs"
            values={{ permission, tenant: tenantContext.tenantName, role: t(`roles.${tenantContext.role}`) }}
            components={{ code: <code />, strong: <strong /> }}
          />
        ) : (
          <Trans t={t} i18nKey="notAllowed.needsNoTenant" values={{ permission }} components={{ code: <code /> }} />
        )}
      </p>
      {tenantContext && <WhomToAsk tenant={tenantContext} />}
      <p>
        <Link href="/dashboard" className="button">
          {t('notAllowed.dashboard')}
        </Link>
      </p>
    </section>
  );
}

/**
 * The tenant's admins by name, from its directory (when this person may read it); else, or until it
 * is read, "an administrator" of the tenant.
 */
function WhomToAsk({ tenant }: { tenant: TenantContext }) {
  const { t } = useTranslation('members');
  const { allowed, query } = useDirectory();
  const names = useNameList();
  if (!allowed || !query.data) return <p>{t('notAllowed.askAdmin', { tenant: tenant.tenantName })}</p>;
  const admins = adminsOf(query.data).map((person) => person.name);
  return (
    <p className="not-allowed-admins">
      {admins.length === 0
        ? t('notAllowed.noAdmin', { tenant: tenant.tenantName })
        : t('notAllowed.askAdmins', { count: admins.length, names: names(admins), tenant: tenant.tenantName })}
    </p>
  );
}
