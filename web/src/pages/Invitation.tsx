import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ZInvitationToken, type InvitationView } from '@mreg/shared';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useFormatters } from '../prefs/usePreferences';
import { errorCode, errorMessage, useTRPC } from '../trpc';
import { InvitationAnswer } from './invitations/InvitationAnswer';
import { Declined, InvitationClosed, NotForYou } from './invitations/InvitationClosed';
import { closedWords } from './invitations/words';
import './Invitation.css';

/** The server's words as a sentence. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

const INCOMPLETE = {
  title: 'This link is incomplete',
  text: 'This address is not a whole invitation link: it may have been cut short when it was copied. Open the link exactly as you received it, or ask the person who invited you to send it again.',
};

/**
 * /invitations/<token>: the link an admin sent (issue 22), opened by a signed-in person (RequireAuth
 * sends others through sign-in and back). It names the tenant, the role and who invited; the invited
 * person accepts or declines. Every other case is a page that says why not and what to do.
 */
export function Invitation({ token }: { token: string }) {
  const trpc = useTRPC();
  const format = useFormatters();
  const wellFormed = ZInvitationToken.safeParse(token).success;
  const invitation = useQuery({ ...trpc.auth.invitation.queryOptions({ token }), enabled: wellFormed });
  const [declined, setDeclined] = useState(false);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);

  const page = (view: InvitationView) => {
    if (declined) return <Declined view={view} />;
    if (view.status !== 'pending') return <InvitationClosed words={closedWords({ ...view, status: view.status }, format.dateTime(view.expiresAt))} />;
    if (!view.forYou) return <NotForYou view={view} />;
    return (
      <InvitationAnswer
        token={token}
        view={view}
        onDeclined={() => setDeclined(true)}
        onFailed={(what, error) => {
          setFailure({ what, error });
          void invitation.refetch();
        }}
      />
    );
  };

  return (
    <section className="invitation-page">
      {!wellFormed ? (
        <InvitationClosed words={INCOMPLETE} />
      ) : invitation.isPending ? (
        <Skeleton lines={6} label="Loading the invitation…" />
      ) : invitation.isError && errorCode(invitation.error) === 'NOT_FOUND' ? (
        <InvitationClosed words={{ title: 'This invitation link does not work', text: sentence(errorMessage(invitation.error)) }} />
      ) : invitation.isError ? (
        <>
          <PageTitle title="Invitation" />
          <LoadError what="The invitation could not be loaded" error={invitation.error} retry={() => invitation.refetch()} />
        </>
      ) : (
        page(invitation.data)
      )}
      {failure && <LoadError what={failure.what} error={failure.error} />}
    </section>
  );
}
