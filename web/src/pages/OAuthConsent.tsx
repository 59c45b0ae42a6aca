import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'wouter';
import { ZOAuthRequestId } from '@mreg/shared';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { errorCode, useTRPC } from '../trpc';
import { ConsentForm } from './oauth/ConsentForm';
import './OAuthConsent.css';

/** Expired, answered, unknown, or an address without a request: nothing to approve here any more. */
function ConsentGone({ malformed }: { malformed: boolean }) {
  const { t } = useTranslation('sessions');
  return (
    <section className="consent-page">
      <PageTitle title={malformed ? t('consent.incompleteTitle') : t('consent.goneTitle')} />
      <div className="card consent-card">
        <p>
          {malformed ? t('consent.incomplete') : t('consent.gone')} {t('consent.startAgain')}
        </p>
        <p className="muted">{t('consent.nothingApproved')}</p>
      </div>
    </section>
  );
}

/**
 * /oauth/consent?request=<id>: an MCP client asks to act for the signed-in person (issue 20). They
 * see which client and what it asks for, pick the tenant, and approve or deny; either way the
 * browser goes back to the client's redirect URI.
 */
export function OAuthConsent() {
  const { t } = useTranslation('sessions');
  const [params] = useSearchParams();
  const requestId = params.get('request') ?? '';
  const wellFormed = ZOAuthRequestId.safeParse(requestId).success;
  const trpc = useTRPC();
  const consent = useQuery({
    ...trpc.oauth.consent.queryOptions({ requestId }),
    enabled: wellFormed,
    // The request is answered once: after that the server no longer knows it, and a refetch on
    // focus must not swap the page for "expired" while the browser is on its way back.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  // Set when deciding found the request gone (it expired while the page was open).
  const [gone, setGone] = useState(false);

  if (!wellFormed) return <ConsentGone malformed />;
  if (gone || (consent.isError && errorCode(consent.error) === 'NOT_FOUND')) return <ConsentGone malformed={false} />;
  if (consent.isPending) {
    return (
      <section className="consent-page">
        <Skeleton lines={6} label={t('consent.loading')} />
      </section>
    );
  }
  if (consent.isError) {
    return (
      <section className="consent-page">
        <PageTitle title={t('consent.title')} />
        <LoadError what={t('consent.loadError')} error={consent.error} retry={() => consent.refetch()} />
      </section>
    );
  }
  return (
    <section className="consent-page">
      <ConsentForm requestId={requestId} consent={consent.data} onGone={() => setGone(true)} onStale={() => void consent.refetch()} />
    </section>
  );
}
