import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ZInvitationToken, type InvitationView } from '@mreg/shared';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useFormatters } from '../prefs/usePreferences';
import { errorCode, errorMessage, errorReason, reasonText, useTRPC } from '../trpc';
import { InvitationAnswer } from './invitations/InvitationAnswer';
import { Declined, InvitationClosed, NotForYou } from './invitations/InvitationClosed';
import { closedWords } from './invitations/words';
import './Invitation.css';

/** The server's words as a sentence. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * A refusal as the invitation page says it: from its reason code (invitation_expired, _revoked,
 * _used, _wrong_person, _not_found), in the app's language; the server's words only for one without.
 */
const refusalText = (error: unknown) => {
  const reason = errorReason(error);
  return reason ? reasonText(reason) : sentence(errorMessage(error));
};

/**
 * /invitations/<token>: the link an admin sent (issue 22), opened by a signed-in person (RequireAuth
 * sends others through sign-in and back). It names the tenant, the role and who invited; the invited
 * person accepts or declines. Every other case is a page that says why not and what to do.
 */
export function Invitation({ token }: { token: string }) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const format = useFormatters();
  const wellFormed = ZInvitationToken.safeParse(token).success;
  const invitation = useQuery({ ...trpc.auth.invitation.queryOptions({ token }), enabled: wellFormed });
  const [declined, setDeclined] = useState(false);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);

  const page = (view: InvitationView) => {
    if (declined) return <Declined view={view} />;
    if (view.status !== 'pending') return <InvitationClosed words={closedWords(t, { ...view, status: view.status }, format.dateTime(view.expiresAt))} />;
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
        <InvitationClosed words={{ title: t('invitation.incomplete.title'), text: t('invitation.incomplete.text') }} />
      ) : invitation.isPending ? (
        <Skeleton lines={6} label={t('invitation.loading')} />
      ) : invitation.isError && errorCode(invitation.error) === 'NOT_FOUND' ? (
        <InvitationClosed words={{ title: t('invitation.notFoundTitle'), text: refusalText(invitation.error) }} />
      ) : invitation.isError ? (
        <>
          <PageTitle title={t('invitation.pageTitle')} />
          <LoadError what={t('invitation.loadFailed')} error={invitation.error} retry={() => invitation.refetch()} />
        </>
      ) : (
        page(invitation.data)
      )}
      {failure && (
        <div role="alert" className="banner banner-error">
          <p>
            <strong>{failure.what}.</strong> {refusalText(failure.error)}
          </p>
        </div>
      )}
    </section>
  );
}
