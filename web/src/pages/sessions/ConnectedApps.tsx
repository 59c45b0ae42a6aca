import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import type { OAuthGrant } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useNow } from '../../components/useNow';
import { useRefocus } from '../../components/useRefocus';
import { useFormatters } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { RevokeGrantDialog } from '../oauth/RevokeGrantDialog';
import { clientLabel, NO_CLIENT_NAME, resourceWords } from '../oauth/words';

/** When, as "3 days ago" with the date on hover. */
function When({ iso, now }: { iso: string; now: number }) {
  const format = useFormatters();
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, now)}
    </time>
  );
}

/**
 * The MCP clients the person approved (auth.grants), on the Sessions page: each acts as them in one
 * tenant until they disconnect it here. Reached from the consent page as /sessions#connected-apps.
 */
export function ConnectedApps() {
  const { t } = useTranslation('sessions');
  const trpc = useTRPC();
  const format = useFormatters();
  const now = useNow();
  const grants = useQuery(trpc.auth.grants.queryOptions());
  const [revoking, setRevoking] = useState<OAuthGrant | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);
  // A disconnected app's row takes its focused button with it: focus goes to the section's heading.
  const { target: heading, expectRefocus } = useRefocus<HTMLHeadingElement>(grants.dataUpdatedAt);

  useEffect(() => {
    // After the page's own focus on its title (an earlier sibling's effect): the link named this section.
    if (window.location.hash !== '#connected-apps') return;
    heading.current?.scrollIntoView({ block: 'start' });
    heading.current?.focus({ preventScroll: true });
  }, [heading]);

  return (
    <section id="connected-apps" className="connected-apps" aria-labelledby="connected-apps-title">
      <h2 id="connected-apps-title" ref={heading} tabIndex={-1}>
        {t('apps.title')}
      </h2>
      <p className="muted">{t('apps.lead')}</p>

      <div role="status" className={notice ? 'banner banner-success' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {failure && <LoadError what={failure.what} error={failure.error} />}

      {grants.isPending ? (
        <Skeleton lines={3} label={t('apps.loading')} />
      ) : grants.isError ? (
        <LoadError what={t('apps.loadError')} error={grants.error} retry={() => grants.refetch()} />
      ) : grants.data.length === 0 ? (
        <EmptyState title={t('apps.emptyTitle')}>{t('apps.emptyText')}</EmptyState>
      ) : (
        <table className="table grants-table" aria-label={t('apps.tableLabel')}>
          <thead>
            <tr>
              <th scope="col">{t('apps.app')}</th>
              <th scope="col">{t('apps.tenant')}</th>
              <th scope="col">{t('apps.access')}</th>
              <th scope="col">{t('apps.approved')}</th>
              <th scope="col">{t('apps.lastUsed')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('apps.action')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {grants.data.map((grant) => (
              <tr key={grant.id}>
                <td data-label={t('apps.app')}>
                  {grant.client.name === null ? (
                    <span className="muted grant-no-name">{NO_CLIENT_NAME}</span>
                  ) : (
                    <bdi className="grant-name">{grant.client.name}</bdi>
                  )}
                  <span className="grant-host muted">
                    <Trans t={t} i18nKey="apps.returnsTo" values={{ host: grant.client.redirectHost }} components={{ code: <code /> }} />
                  </span>
                </td>
                <td data-label={t('apps.tenant')}>{grant.tenantName}</td>
                <td data-label={t('apps.access')}>
                  <span title={grant.resource.url}>{resourceWords(grant.resource, grant.tenantName)}</span>
                </td>
                <td data-label={t('apps.approved')}>
                  <time dateTime={grant.approvedAt}>{format.dateTime(grant.approvedAt)}</time>
                </td>
                <td data-label={t('apps.lastUsed')}>
                  {grant.lastUsedAt ? <When iso={grant.lastUsedAt} now={now} /> : <span className="muted">{t('apps.notYet')}</span>}
                </td>
                <td className="grant-action">
                  <button
                    type="button"
                    className="danger"
                    aria-label={t('apps.disconnectLabel', { name: clientLabel(grant.client), tenant: grant.tenantName })}
                    onClick={() => {
                      setNotice(null);
                      setFailure(null);
                      setRevoking(grant);
                    }}
                  >
                    {t('apps.disconnect')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <RevokeGrantDialog
        grant={revoking}
        onCancel={() => setRevoking(null)}
        onRevoked={(grant) => {
          setRevoking(null);
          setNotice(t('apps.disconnected', { name: clientLabel(grant.client), tenant: grant.tenantName }));
          expectRefocus();
          void grants.refetch();
        }}
        onFailed={(grant, error) => {
          setRevoking(null);
          setFailure({ what: t('apps.disconnectFailed', { name: clientLabel(grant.client) }), error });
          // A NOT_FOUND means it was disconnected already: the list should say so.
          void grants.refetch();
        }}
      />
    </section>
  );
}
