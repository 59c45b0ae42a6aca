import { useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import type { InvitationView } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { currentLocation } from '../../auth/navigation';
import { PageTitle } from '../../components/PageTitle';
import { errorMessage } from '../../trpc';
import { notForYouWords, whoToAsk, type Words } from './words';

/** A page about an invitation that cannot be answered here: what happened and what to do; nothing to accept. */
export function InvitationClosed({ words, children }: { words: Words; children?: ReactNode }) {
  return (
    <>
      <PageTitle title={words.title} />
      <div className="card invitation-card">
        <p>{words.text}</p>
        <div className="actions">
          {children}
          <Link href="/dashboard" className="button">
            Go to the dashboard
          </Link>
        </div>
      </div>
    </>
  );
}

/** Signed in as someone else than the invited person: sign out, and the sign-in page leads back to this link. */
export function NotForYou({ view }: { view: InvitationView }) {
  const auth = useEnhancedAuth();
  const [leaving, setLeaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const signOut = () => {
    setLeaving(true);
    setFailure(null);
    auth.logout(currentLocation()).catch((error: unknown) => {
      setFailure(`Sign-out failed: ${errorMessage(error)}`);
      setLeaving(false);
    });
  };
  return (
    <>
      <InvitationClosed words={notForYouWords(view)}>
        <button type="button" className="primary" disabled={leaving} aria-busy={leaving} onClick={signOut}>
          {leaving ? 'Signing out…' : 'Sign out'}
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
  return (
    <InvitationClosed
      words={{
        title: 'You declined the invitation',
        text: `You did not join ${view.tenantName}, and nothing else changed for you. If you change your mind, ask ${whoToAsk(view)} for a new invitation.`,
      }}
    />
  );
}
