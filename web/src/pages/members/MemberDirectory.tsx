import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { Avatar } from '../../components/Avatar';
import { EmptyState } from '../../components/EmptyState';
import { LoadError } from '../../components/LoadError';
import { PageTitle } from '../../components/PageTitle';
import { Skeleton } from '../../components/Skeleton';
import { adminsOf, useDirectory, useNameList } from './directory';

/**
 * Who is in the tenant, for members who may not manage it (members:read): names, pictures and
 * roles, and who its admins are, so that people know whom to ask. Read-only: no email, no action.
 */
export function MemberDirectory({ tenantName }: { tenantName: string }) {
  const { t } = useTranslation('members');
  const auth = useEnhancedAuth();
  const { query } = useDirectory();
  const names = useNameList();
  const people = query.data ?? [];
  const admins = adminsOf(people).map((person) => person.name);

  return (
    <section className="members-page member-directory">
      <PageTitle title={t('page.title')}>{t('page.lead', { tenant: tenantName })}</PageTitle>
      {query.isPending ? (
        <Skeleton lines={4} label={t('page.loading')} />
      ) : query.isError ? (
        <LoadError what={t('page.loadFailed')} error={query.error} retry={() => query.refetch()} />
      ) : (
        <>
          <p className="card directory-admins">
            {admins.length === 0
              ? t('directory.noAdmin', { tenant: tenantName })
              : t('directory.admins', { count: admins.length, names: names(admins), tenant: tenantName })}
          </p>
          <h2>
            {t('page.listHeading', { tenant: tenantName })}
            <span className="muted members-count"> ({people.length})</span>
          </h2>
          {people.length === 0 ? (
            <EmptyState title={t('page.empty', { tenant: tenantName })} />
          ) : (
            <table className="table members-table directory-table" aria-label={t('page.listHeading', { tenant: tenantName })}>
              <thead>
                <tr>
                  <th scope="col">{t('table.member')}</th>
                  <th scope="col">{t('table.role')}</th>
                </tr>
              </thead>
              <tbody>
                {people.map((person) => (
                  <tr key={person.userId}>
                    <td data-label={t('table.member')}>
                      <div className="member-who">
                        <Avatar name={person.name} url={person.avatarUrl} />
                        <span className="member-name">
                          <bdi>{person.name}</bdi>
                          {person.userId === auth.user?.id && <span className="badge">{t('table.you')}</span>}
                        </span>
                      </div>
                    </td>
                    <td data-label={t('table.role')}>
                      {person.role === 'admin' ? <span className="badge">{t('roles.admin')}</span> : t(`roles.${person.role}`)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
