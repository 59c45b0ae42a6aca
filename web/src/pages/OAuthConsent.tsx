import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
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
  return (
    <section className="consent-page">
      <PageTitle title={malformed ? 'This link is incomplete' : 'This request is no longer open'} />
      <div className="card consent-card">
        <p>
          {malformed
            ? 'This address does not name a sign-in request from an MCP client; it may have been cut short when it was copied.'
            : 'This request has expired or was already answered.'}{' '}
          Start again from your MCP client: it will send you back here with a new request.
        </p>
        <p className="muted">Nothing was approved by opening this page.</p>
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
        <Skeleton lines={6} label="Loading the request…" />
      </section>
    );
  }
  if (consent.isError) {
    return (
      <section className="consent-page">
        <PageTitle title="Connect an MCP client" />
        <LoadError what="The request could not be loaded" error={consent.error} retry={() => consent.refetch()} />
      </section>
    );
  }
  return (
    <section className="consent-page">
      <ConsentForm requestId={requestId} consent={consent.data} onGone={() => setGone(true)} onStale={() => void consent.refetch()} />
    </section>
  );
}
