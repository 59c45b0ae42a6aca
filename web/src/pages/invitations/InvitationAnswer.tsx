import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import type { InvitationView } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { PageTitle } from '../../components/PageTitle';
import { useFormatters } from '../../prefs/usePreferences';
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
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const [, navigate] = useLocation();
  const accept = useMutation(trpc.auth.acceptInvitation.mutationOptions());
  const decline = useMutation(trpc.auth.declineInvitation.mutationOptions());
  const [asking, setAsking] = useState(false);
  const busy = accept.isPending || decline.isPending;
  const tenant = view.tenantName;
  const inviter = view.invitedBy ?? t('invitation.anAdminCapital', { tenant });
  const role = t(`aRole.${view.role}`);

  const join = async () => {
    let context;
    try {
      context = await accept.mutateAsync({ token });
    } catch (error) {
      onFailed(t('invitation.joinFailed', { tenant }), error);
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
          onFailed(t('invitation.declineFailed', { tenant }), error);
        },
      },
    );

  return (
    <>
      <PageTitle title={t('invitation.title', { tenant })}>{t('invitation.lead', { inviter, email: view.email, tenant, role })}</PageTitle>
      <div className="card invitation-card">
        <dl className="facts invitation-facts">
          <dt>{t('invitation.tenant')}</dt>
          <dd className="invitation-tenant">{tenant}</dd>
          <dt>{t('invitation.yourRole')}</dt>
          <dd>
            <strong>{t(`roles.${view.role}`)}</strong>: {t(`roleSummary.${view.role}`)}
          </dd>
          <dt>{t('invitation.invitedBy')}</dt>
          <dd>{inviter}</dd>
          <dt>{t('invitation.until')}</dt>
          <dd>
            <time dateTime={view.expiresAt}>{format.dateTime(view.expiresAt)}</time>
          </dd>
        </dl>
        <p>{t('invitation.accepting', { role, tenant })}</p>
        <div className="actions invitation-actions">
          <button type="button" className="primary" disabled={busy} aria-busy={accept.isPending} onClick={() => void join()}>
            {accept.isPending ? t('invitation.joining') : t('invitation.accept', { tenant })}
          </button>
          <button type="button" disabled={busy} onClick={() => setAsking(true)}>
            {t('invitation.decline')}
          </button>
        </div>
      </div>
      <ConfirmDialog
        open={asking}
        title={t('invitation.declineTitle', { tenant })}
        confirmLabel={t('invitation.declineButton')}
        danger
        busy={decline.isPending}
        onConfirm={confirmDecline}
        onCancel={() => setAsking(false)}
      >
        <p>{t('invitation.declineText', { tenant, ask: whoToAsk(t, view) })}</p>
      </ConfirmDialog>
    </>
  );
}
