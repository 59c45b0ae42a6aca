import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useTRPC } from '../trpc';
import { NoSuchServer, isNoSuchServer } from './servers/NoSuchServer';
import { ServerForm } from './servers/ServerForm';
import './Servers.css';

/** /servers/new: a new server of the active tenant (registry:write). */
export function AddServer() {
  const { t } = useTranslation('servers');
  return (
    <section className="server-editor">
      <PageTitle title={t('editor.addTitle')}>{t('editor.addLead')}</PageTitle>
      <ServerForm server={null} />
    </section>
  );
}

/** /servers/:id/edit: changes to a server; its stored secret stays unless replaced. */
export function EditServer({ id }: { id: string }) {
  const { t } = useTranslation('servers');
  const trpc = useTRPC();
  const detail = useQuery(trpc.registry.get.queryOptions({ id }));
  if (detail.isError && isNoSuchServer(detail.error)) return <NoSuchServer />;
  return (
    <section className="server-editor">
      <PageTitle title={t('editor.editTitle')}>
        {detail.data ? (
          <Trans t={t} i18nKey="editor.editLead" values={{ name: detail.data.server.name }} components={{ server: <Link href={`/servers/${id}`} /> }} />
        ) : (
          t('editor.editLeadLoading')
        )}
      </PageTitle>
      {detail.isPending ? (
        <Skeleton lines={6} label={t('loadingServer')} />
      ) : detail.isError ? (
        <LoadError what={t('serverLoadError')} error={detail.error} retry={() => detail.refetch()} />
      ) : (
        <ServerForm server={detail.data.server} />
      )}
    </section>
  );
}
