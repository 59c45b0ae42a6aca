import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import type { ApiKey, ApiKeyCreated } from '@mreg/shared';
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
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);
  const tenantName = auth.tenantContext?.tenantName ?? 'this tenant';
  const role = auth.tenantContext?.role;
  // A revoked key's row takes its focused button with it, and Done its panel: focus goes to the list's heading.
  const { target: listHeading, expectRefocus } = useRefocus<HTMLHeadingElement>(keys.dataUpdatedAt);

  const clear = () => {
    setNotice(null);
    setFailure(null);
  };

  return (
    <section className="keys-page">
      <PageTitle title="API keys">
        Personal keys for MCP clients and scripts. A key acts for you in {tenantName}, with your permissions there{role ? ` (${role})` : ''}: no
        more, and only as long as you are a member.
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
        Your keys in {tenantName}
      </h2>
      {keys.isPending ? (
        <Skeleton lines={4} label="Loading your API keys…" />
      ) : keys.isError ? (
        <LoadError what="Your API keys could not be loaded" error={keys.error} retry={() => keys.refetch()} />
      ) : keys.data.length === 0 ? (
        <EmptyState title={`You have no API keys in ${tenantName}.`}>
          <p>
            An API key lets an MCP client (Claude, VS Code, Cursor…) or a script of yours reach {tenantName}&apos;s servers through MREG&apos;s
            MCP address, without a browser. Create one above, then paste it into the client&apos;s configuration:{' '}
            <Link href="/servers#connect">Connect an MCP client</Link> shows how.
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
          setNotice(`Revoked ${key.name}: it no longer works.`);
          expectRefocus();
          void keys.refetch();
        }}
        onFailed={(key, error) => {
          setRevoking(null);
          setFailure({ what: `${key.name} could not be revoked`, error });
          // A NOT_FOUND means it was revoked already: the list should say so.
          void keys.refetch();
        }}
      />
    </section>
  );
}
