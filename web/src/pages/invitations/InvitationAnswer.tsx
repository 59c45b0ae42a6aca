import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import type { InvitationView } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { PageTitle } from '../../components/PageTitle';
import { useFormatters } from '../../prefs/usePreferences';
import { aRole, ROLE_LABEL, ROLE_SUMMARY } from '../../roles';
import { useTRPC } from '../../trpc';
import { joinedState } from './joined';
import { whoToAsk } from './words';

interface InvitationAnswerProps {
  token: string;
  /** Open, and for the signed-in person. */
  view: InvitationView;
  onDeclined: () => void;
  /** A refusal (revoked or answered meanwhile, say): the page says so and reads the invitation again. */
  onFailed: (what: string, error: unknown) => void;
}

/**
 * An open invitation for the signed-in person: the tenant, the role and who invited, then Accept
 * (joins, the session switches to the tenant, and the dashboard says so) or Decline (asked first).
 */
export function InvitationAnswer({ token, view, onDeclined, onFailed }: InvitationAnswerProps) {
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const [, navigate] = useLocation();
  const accept = useMutation(trpc.auth.acceptInvitation.mutationOptions());
  const decline = useMutation(trpc.auth.declineInvitation.mutationOptions());
  const [asking, setAsking] = useState(false);
  const busy = accept.isPending || decline.isPending;
  const tenant = view.tenantName;
  const inviter = view.invitedBy ?? `An admin of ${tenant}`;

  const join = async () => {
    let context;
    try {
      context = await accept.mutateAsync({ token });
    } catch (error) {
      onFailed(`Could not join ${tenant}`, error);
      return;
    }
    // To the dashboard first: this page, started afresh for the new tenant, would find its link used.
    navigate('/dashboard', { state: joinedState(context) });
    void auth.tenantChanged();
  };

  const confirmDecline = () =>
    decline.mutate(
      { token },
      {
        onSuccess: () => {
          setAsking(false);
          onDeclined();
        },
        onError: (error) => {
          setAsking(false);
          onFailed(`Could not decline the invitation to ${tenant}`, error);
        },
      },
    );

  return (
    <>
      <PageTitle title={`Join ${tenant}?`}>
        {inviter} invited you ({view.email}) to join {tenant} as {aRole(view.role)}.
      </PageTitle>
      <div className="card invitation-card">
        <dl className="facts invitation-facts">
          <dt>Tenant</dt>
          <dd className="invitation-tenant">{tenant}</dd>
          <dt>Your role there</dt>
          <dd>
            <strong>{ROLE_LABEL[view.role]}</strong>: {ROLE_SUMMARY[view.role]}
          </dd>
          <dt>Invited by</dt>
          <dd>{inviter}</dd>
          <dt>Link works until</dt>
          <dd>
            <time dateTime={view.expiresAt}>{format.dateTime(view.expiresAt)}</time>
          </dd>
        </dl>
        <p>
          Accepting makes you {aRole(view.role)} of {tenant} and switches you to it. Your other tenants stay yours, a switch away at the top of
          the page.
        </p>
        <div className="actions invitation-actions">
          <button type="button" className="primary" disabled={busy} aria-busy={accept.isPending} onClick={() => void join()}>
            {accept.isPending ? 'Joining…' : `Accept and join ${tenant}`}
          </button>
          <button type="button" disabled={busy} onClick={() => setAsking(true)}>
            Decline
          </button>
        </div>
      </div>
      <ConfirmDialog
        open={asking}
        title={`Decline the invitation to ${tenant}?`}
        confirmLabel="Decline invitation"
        danger
        busy={decline.isPending}
        onConfirm={confirmDecline}
        onCancel={() => setAsking(false)}
      >
        <p>
          You do not join {tenant}, and this link stops working for good. To join later, you would need a new invitation from {whoToAsk(view)}.
        </p>
      </ConfirmDialog>
    </>
  );
}
