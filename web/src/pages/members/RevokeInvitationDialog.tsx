import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Invitation } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useTRPC } from '../../trpc';

/** Revoke, asked first in a dialog naming the person; the section says how it went and lists the invitations again. */
export function RevokeInvitationDialog({
  invitation,
  tenantName,
  onRevoked,
  onFailed,
  onCancel,
}: {
  invitation: Invitation | null;
  tenantName: string;
  onRevoked: (invitation: Invitation) => void;
  onFailed: (invitation: Invitation, error: unknown) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const revoke = useMutation(trpc.tenants.revokeInvitation.mutationOptions());
  const confirm = () => {
    if (!invitation) return;
    revoke.mutate({ id: invitation.id }, { onSuccess: () => onRevoked(invitation), onError: (error) => onFailed(invitation, error) });
  };
  return (
    <ConfirmDialog
      open={invitation !== null}
      title={invitation ? t('revoke.title', { email: invitation.email }) : ''}
      confirmLabel={t('revoke.button')}
      danger
      busy={revoke.isPending}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      {invitation && <p>{t('revoke.text', { email: invitation.email, tenant: tenantName })}</p>}
    </ConfirmDialog>
  );
}
