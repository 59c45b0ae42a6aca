import { useId, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Invitation, InvitationLink } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useNow } from '../../components/useNow';
import { useRefocus } from '../../components/useRefocus';
import { useTRPC } from '../../trpc';
import { InvitationLinkPanel } from './InvitationLinkPanel';
import { InvitationTable } from './InvitationTable';
import { RevokeInvitationDialog } from './RevokeInvitationDialog';

/**
 * The tenant's pending invitations: a new link for one (shown here once, the old one stops working)
 * or a revoke (asked first). Its own live region, beside the list it speaks of.
 */
export function PendingInvitations({ tenantName }: { tenantName: string }) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const now = useNow();
  const invitations = useQuery(trpc.tenants.invitations.queryOptions());
  const renew = useMutation(trpc.tenants.renewInvitation.mutationOptions());
  const [renewed, setRenewed] = useState<InvitationLink | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);
  const headingId = useId();
  // A revoked invitation's row takes its focused button with it, and Done the link's panel: focus goes to the heading.
  const { target: heading, expectRefocus } = useRefocus<HTMLHeadingElement>(invitations.dataUpdatedAt);

  const clear = () => {
    setNotice(null);
    setFailure(null);
  };
  const newLink = (invitation: Invitation) => {
    clear();
    setRenewed(null);
    renew.mutate(
      { id: invitation.id },
      {
        onSuccess: (made) => setRenewed(made),
        // NOT_FOUND: answered or revoked meanwhile; the list read again shows it gone.
        onError: (error) => setFailure({ what: t('pending.renewFailed', { email: invitation.email }), error }),
        onSettled: () => void invitations.refetch(),
      },
    );
  };

  return (
    <section className="pending-invitations" aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1}>
        {t('pending.heading')}
        {invitations.data && <span className="muted members-count"> ({invitations.data.length})</span>}
      </h2>

      <div role="status" className={notice ? 'banner banner-success' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {failure && <LoadError what={failure.what} error={failure.error} />}
      {renewed && (
        <InvitationLinkPanel
          made={renewed}
          renewed
          tenantName={tenantName}
          onDone={() => {
            setRenewed(null);
            heading.current?.focus();
          }}
        />
      )}

      {invitations.isPending ? (
        <Skeleton lines={3} label={t('pending.loading')} />
      ) : invitations.isError ? (
        <LoadError what={t('pending.loadFailed')} error={invitations.error} retry={() => invitations.refetch()} />
      ) : invitations.data.length === 0 ? (
        <EmptyState title={t('pending.empty')}>{t('pending.emptyHint', { tenant: tenantName })}</EmptyState>
      ) : (
        <InvitationTable
          invitations={invitations.data}
          tenantName={tenantName}
          now={now}
          busyId={renew.isPending ? (renew.variables?.id ?? null) : null}
          onRenew={newLink}
          onRevoke={(invitation) => {
            clear();
            setRevoking(invitation);
          }}
        />
      )}

      <RevokeInvitationDialog
        invitation={revoking}
        tenantName={tenantName}
        onCancel={() => setRevoking(null)}
        onRevoked={(invitation) => {
          setRevoking(null);
          // Its link, if shown here, is void now.
          if (renewed?.invitation.id === invitation.id) setRenewed(null);
          setNotice(t('pending.revoked', { email: invitation.email }));
          expectRefocus();
          void invitations.refetch();
        }}
        onFailed={(invitation, error) => {
          setRevoking(null);
          setFailure({ what: t('pending.revokeFailed', { email: invitation.email }), error });
          // A NOT_FOUND means it was answered or revoked already: the list should say so.
          void invitations.refetch();
        }}
      />
    </section>
  );
}
