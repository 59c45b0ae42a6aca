import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { ZRole, type ApiKey, type ApiKeyCreated } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useRefocus } from '../components/useRefocus';
import { useTRPC } from '../trpc';
import { CreateKeyForm } from './apikeys/CreateKeyForm';
import { KeyTable } from './apikeys/KeyTable';
import { NewKeyPanel } from './apikeys/NewKeyPanel';
import { RevokeKeyDialog } from './apikeys/RevokeKeyDialog';
import './ApiKeys.css';

/** /api-keys: my personal keys in the active tenant, for MCP clients and scripts: create (the secret once), list, revoke. */
export function ApiKeys() {
  const { t } = useTranslation('apikeys');
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);
  const tenantName = auth.tenantContext?.tenantName ?? t('thisTenant');
  const role = auth.tenantContext?.role;
  // A role this app does not know is shown as the server names it.
  const known = ZRole.safeParse(role);
  const roleWords = known.success ? t(`roles.${known.data}`) : role;
  // A revoked key's row takes its focused button with it, and Done its panel: focus goes to the list's heading.
  const { target: listHeading, expectRefocus } = useRefocus<HTMLHeadingElement>(keys.dataUpdatedAt);

  const clear = () => {
    setNotice(null);
    setFailure(null);
  };

  return (
    <section className="keys-page">
      <PageTitle title={t('title')}>
        {roleWords ? t('leadWithRole', { tenant: tenantName, role: roleWords }) : t('lead', { tenant: tenantName })}
      </PageTitle>

      {created ? (
        <NewKeyPanel
          created={created}
          onDone={() => {
            setCreated(null);
            listHeading.current?.focus();
          }}
        />
      ) : (
        <CreateKeyForm
          tenantName={tenantName}
          onStart={clear}
          onCreated={(made) => {
            setCreated(made);
            void keys.refetch();
          }}
        />
      )}

      <div role="status" className={notice ? 'banner banner-success keys-notice' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {failure && <LoadError what={failure.what} error={failure.error} />}

      <h2 ref={listHeading} tabIndex={-1}>
        {t('listTitle', { tenant: tenantName })}
      </h2>
      {keys.isPending ? (
        <Skeleton lines={4} label={t('loading')} />
      ) : keys.isError ? (
        <LoadError what={t('loadError')} error={keys.error} retry={() => keys.refetch()} />
      ) : keys.data.length === 0 ? (
        <EmptyState title={t('emptyTitle', { tenant: tenantName })}>
          <p>
            <Trans t={t} i18nKey="emptyText" values={{ tenant: tenantName }} components={{ connect: <Link href="/servers#connect" /> }} />
          </p>
        </EmptyState>
      ) : (
        <KeyTable
          keys={keys.data}
          tenantName={tenantName}
          onRevoke={(key) => {
            clear();
            setRevoking(key);
          }}
        />
      )}

      <RevokeKeyDialog
        apiKey={revoking}
        onCancel={() => setRevoking(null)}
        onRevoked={(key) => {
          setRevoking(null);
          setNotice(t('revoked', { name: key.name }));
          expectRefocus();
          void keys.refetch();
        }}
        onFailed={(key, error) => {
          setRevoking(null);
          setFailure({ what: t('revokeFailed', { name: key.name }), error });
          // A NOT_FOUND means it was revoked already: the list should say so.
          void keys.refetch();
        }}
      />
    </section>
  );
}
