import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { InvitationView } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { currentLocation } from '../../auth/navigation';
import { PageTitle } from '../../components/PageTitle';
import { errorMessage } from '../../trpc';
import { notForYouWords, whoToAsk, type Words } from './words';

/** A page about an invitation that cannot be answered here: what happened and what to do; nothing to accept. */
export function InvitationClosed({ words, children }: { words: Words; children?: ReactNode }) {
  const { t } = useTranslation('members');
  return (
    <>
      <PageTitle title={words.title} />
      <div className="card invitation-card">
        <p>{words.text}</p>
        <div className="actions">
          {children}
          <Link href="/dashboard" className="button">
            {t('notAllowed.dashboard')}
          </Link>
        </div>
      </div>
    </>
  );
}

/** Signed in as someone else than the invited person: sign out, and the sign-in page leads back to this link. */
export function NotForYou({ view }: { view: InvitationView }) {
  const { t } = useTranslation('members');
  const auth = useEnhancedAuth();
  const [leaving, setLeaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const signOut = () => {
    setLeaving(true);
    setFailure(null);
    auth.logout(currentLocation()).catch((error: unknown) => {
      setFailure(t('invitation.signOutFailed', { message: errorMessage(error) }));
      setLeaving(false);
    });
  };
  return (
    <>
      <InvitationClosed words={notForYouWords(t, view)}>
        <button type="button" className="primary" disabled={leaving} aria-busy={leaving} onClick={signOut}>
          {leaving ? t('invitation.signingOut') : t('invitation.signOut')}
        </button>
      </InvitationClosed>
      {failure && (
        <p role="alert" className="banner banner-error">
          {failure}
        </p>
      )}
    </>
  );
}

/** Just declined: calm, and how to change one's mind. */
export function Declined({ view }: { view: InvitationView }) {
  const { t } = useTranslation('members');
  return (
    <InvitationClosed
      words={{ title: t('invitation.declined.title'), text: t('invitation.declined.text', { tenant: view.tenantName, ask: whoToAsk(t, view) }) }}
    />
  );
}
