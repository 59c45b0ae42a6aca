import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('sessions');
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
        <PageTitle title={leaving === 'approved' ? t('consent.approvedTitle') : t('consent.deniedTitle')} />
        <div className="card consent-card">
          <p role="status" className="consent-leaving">
            <Trans
              t={t}
              i18nKey={leaving === 'approved' ? 'consent.leavingApproved' : 'consent.leavingDenied'}
              values={{ host: client.redirectHost }}
              components={{ code: <code /> }}
            />
          </p>
          <p className="muted">{t('consent.leavingHint')}</p>
        </div>
      </>
    );
  }

  return (
    <>
      <PageTitle title={t('consent.title')}>{t('consent.lead')}</PageTitle>
      <div className="card consent-card">
        <ClientFacts client={client} />

        <h2>{t('consent.asksFor')}</h2>
        <p className="consent-request">
          <Trans
            t={t}
            i18nKey={tenant ? 'consent.request' : 'consent.requestNoTenant'}
            values={{
              resource: resourcePhrase(resource, tenant?.tenantName),
              url: resource.url,
              role: tenant ? roleInSentence(tenant.role) : undefined,
              tenant: tenant?.tenantName,
            }}
            components={{ strong: <strong />, url: <code className="consent-url" /> }}
          />
        </p>
        {consent.scopes.length > 0 && (
          <ul className="consent-scopes" aria-label={t('consent.scopes')}>
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
              <Trans t={t} i18nKey="consent.cannotApprove" values={{ reason: noTenantReason(consent) }} components={{ strong: <strong /> }} />
            </p>
          </div>
        ) : (
          <TenantPicker consent={consent} selected={tenantId} onSelect={setPicked} />
        )}

        {failure !== null && <LoadError what={t('consent.answerFailed')} error={failure} />}
        <div className="actions consent-actions">
          {tenantId !== null && (
            <button type="button" className="primary" disabled={busy} aria-busy={decide.isPending && decide.variables.approve} onClick={() => answer(true)}>
              {t('consent.approve')}
            </button>
          )}
          <button type="button" disabled={busy} aria-busy={decide.isPending && !decide.variables.approve} onClick={() => answer(false)}>
            {t('consent.deny')}
          </button>
        </div>
        <p className="hint consent-after">
          <Trans
            t={t}
            i18nKey="consent.openUntil"
            values={{ when: format.dateTime(consent.expiresAt) }}
            components={{ time: <time dateTime={consent.expiresAt} /> }}
          />
          {sessionsPage && (
            <>
              {' '}
              <Trans t={t} i18nKey="consent.disconnectHint" components={{ sessions: <Link href="/sessions#connected-apps" /> }} />
            </>
          )}
        </p>
      </div>
    </>
  );
}
