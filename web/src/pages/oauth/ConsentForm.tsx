import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Link } from 'wouter';
import type { OAuthConsent } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { LoadError } from '../../components/LoadError';
import { PageTitle } from '../../components/PageTitle';
import { useFormatters } from '../../prefs/usePreferences';
import { errorCode, useTRPC } from '../../trpc';
import { ClientFacts } from './ClientFacts';
import { TenantPicker } from './TenantPicker';
import { defaultTenant, noTenantReason, resourcePhrase, roleInSentence, scopeWords } from './words';

interface ConsentFormProps {
  requestId: string;
  consent: OAuthConsent;
  /** The request expired or was answered meanwhile. */
  onGone: () => void;
  /** The server refused the tenant: what it offers may have changed. */
  onStale: () => void;
}

/** The request itself: who asks, for what, in which tenant; Approve or Deny, then back to the client. */
export function ConsentForm({ requestId, consent, onGone, onStale }: ConsentFormProps) {
  const trpc = useTRPC();
  const format = useFormatters();
  // Connected apps live on the Sessions page, which the server may have switched off.
  const sessionsPage = useEnhancedAuth().features?.sessionManagement;
  const decide = useMutation(trpc.oauth.decide.mutationOptions());
  const [picked, setPicked] = useState<string | null>(null);
  const [leaving, setLeaving] = useState<'approved' | 'denied' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const { client, resource } = consent;
  // The person's pick while it can be used (a refetch may have made it unavailable), else the default.
  const tenantId = consent.tenants.find((tenant) => tenant.tenantId === picked && tenant.available)?.tenantId ?? defaultTenant(consent);
  const tenant = consent.tenants.find((choice) => choice.tenantId === tenantId);
  const busy = decide.isPending || leaving !== null;

  const answer = (approve: boolean) => {
    setFailure(null);
    decide.mutate(approve && tenantId ? { requestId, approve, tenantId } : { requestId, approve: false }, {
      onSuccess: ({ redirectTo }) => {
        setLeaving(approve ? 'approved' : 'denied');
        window.location.assign(redirectTo);
      },
      onError: (error) => {
        if (errorCode(error) === 'NOT_FOUND') return onGone();
        setFailure(error);
        if (errorCode(error) === 'BAD_REQUEST') onStale();
      },
    });
  };

  if (leaving) {
    return (
      <>
        <PageTitle title={leaving === 'approved' ? 'Approved' : 'Denied'} />
        <div className="card consent-card">
          <p role="status" className="consent-leaving">
            {leaving === 'approved' ? 'Approved.' : 'Denied: nothing was shared with the app.'} Returning you to <code>{client.redirectHost}</code>…
          </p>
          <p className="muted">If nothing happens, go back to your MCP client; you can close this page.</p>
        </div>
      </>
    );
  }

  return (
    <>
      <PageTitle title="Connect an MCP client">An app asks to use MREG as you. Check that you started this, then approve or deny.</PageTitle>
      <div className="card consent-card">
        <ClientFacts client={client} />

        <h2>What it asks for</h2>
        <p className="consent-request">
          To use <strong>{resourcePhrase(resource, tenant?.tenantName)}</strong> (<code className="consent-url">{resource.url}</code>) as you
          {tenant ? `, with your permissions as ${roleInSentence(tenant.role)} of ${tenant.tenantName}.` : '.'}
        </p>
        {consent.scopes.length > 0 && (
          <ul className="consent-scopes" aria-label="Scopes">
            {consent.scopes.map((scope) => (
              <li key={scope}>
                <code>{scope}</code>
                {scopeWords(scope) !== scope && <span className="muted">{scopeWords(scope)}</span>}
              </li>
            ))}
          </ul>
        )}

        {tenantId === null ? (
          <div role="alert" className="banner banner-info consent-none">
            <p>
              <strong>You cannot approve this request.</strong> {noTenantReason(consent)}
            </p>
          </div>
        ) : (
          <TenantPicker consent={consent} selected={tenantId} onSelect={setPicked} />
        )}

        {failure !== null && <LoadError what="Your answer could not be sent" error={failure} />}
        <div className="actions consent-actions">
          {tenantId !== null && (
            <button type="button" className="primary" disabled={busy} aria-busy={decide.isPending && decide.variables.approve} onClick={() => answer(true)}>
              Approve
            </button>
          )}
          <button type="button" disabled={busy} aria-busy={decide.isPending && !decide.variables.approve} onClick={() => answer(false)}>
            Deny
          </button>
        </div>
        <p className="hint consent-after">
          Open until <time dateTime={consent.expiresAt}>{format.dateTime(consent.expiresAt)}</time>.
          {sessionsPage && (
            <>
              {' '}
              You can disconnect an app at any time under <Link href="/sessions#connected-apps">Sessions, Connected apps</Link>.
            </>
          )}
        </p>
      </div>
    </>
  );
}
