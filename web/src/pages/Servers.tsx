import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Server } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useNow } from '../components/useNow';
import { useFormatters, useLanguage } from '../prefs/usePreferences';
import { useTRPC } from '../trpc';
import { ConnectPanel } from './servers/ConnectPanel';
import { useArrivalState } from './servers/flash';
import { StatusBadge } from './servers/StatusBadge';
import { toolCountText } from './servers/words';
import './Servers.css';

/** The active tenant's MCP servers, for anyone with registry:read; adding one takes registry:write. */
export function Servers() {
  const { t } = useTranslation('servers');
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const servers = useQuery(trpc.registry.list.queryOptions());
  const tenantName = auth.tenantContext?.tenantName ?? t('thisTenant');
  const canWrite = auth.can('registry:write');
  const { removed } = useArrivalState();

  return (
    <section className="servers-page">
      <div className="servers-head">
        <PageTitle title={t('list.title')}>{t('list.lead', { tenant: tenantName })}</PageTitle>
        {canWrite && (
          <Link href="/servers/new" className="button primary">
            {t('list.add')}
          </Link>
        )}
      </div>

      <div role="status" className={removed ? 'banner banner-success' : undefined}>
        {removed && <p>{t('list.removed', { name: removed })}</p>}
      </div>

      {servers.isPending ? (
        <Skeleton lines={4} label={t('list.loading')} />
      ) : servers.isError ? (
        <LoadError what={t('list.loadError')} error={servers.error} retry={() => servers.refetch()} />
      ) : servers.data.length === 0 ? (
        <EmptyState title={t('list.emptyTitle', { tenant: tenantName })}>
          <p>{t('list.emptyWhat', { tenant: tenantName })}</p>
          {canWrite ? (
            <p>
              <Trans t={t} i18nKey="list.emptyAdd" components={{ add: <Link href="/servers/new" /> }} />
            </p>
          ) : (
            <p>{t('list.emptyAsk', { tenant: tenantName })}</p>
          )}
        </EmptyState>
      ) : (
        <ServerTable servers={servers.data} tenantName={tenantName} />
      )}

      <ConnectPanel tenantName={tenantName} />
    </section>
  );
}

function ServerTable({ servers, tenantName }: { servers: Server[]; tenantName: string }) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const format = useFormatters();
  const now = useNow();
  return (
    <table className="table servers-table" aria-label={t('list.tableLabel', { tenant: tenantName })}>
      <thead>
        <tr>
          <th scope="col">{t('list.server')}</th>
          <th scope="col">{t('list.status')}</th>
          <th scope="col">{t('list.tools')}</th>
          <th scope="col">{t('list.lastCheck')}</th>
        </tr>
      </thead>
      <tbody>
        {servers.map((server) => (
          <tr key={server.id}>
            <td data-label={t('list.server')}>
              <div className="server-names">
                <Link href={`/servers/${server.id}`} className="server-name">
                  {server.name}
                </Link>
                <code className="muted">{server.slug}</code>
              </div>
            </td>
            <td data-label={t('list.status')}>
              <StatusBadge status={server.status} />
              {server.lastError && <p className="server-error">{t('list.lastError', { error: server.lastError })}</p>}
            </td>
            <td data-label={t('list.tools')} className="servers-tools">
              {server.toolCount === null ? <span className="muted">{t('list.notDiscovered')}</span> : toolCountText(server, locale)}
            </td>
            <td data-label={t('list.lastCheck')}>
              {server.lastCheckedAt ? (
                <time dateTime={server.lastCheckedAt} title={format.dateTime(server.lastCheckedAt)}>
                  {format.relative(server.lastCheckedAt, now)}
                </time>
              ) : (
                <span className="muted">{t('never')}</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
