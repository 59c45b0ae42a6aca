import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { OAuthGrant } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useTRPC } from '../../trpc';
import { clientLabel, resourcePhrase } from './words';

interface RevokeGrantDialogProps {
  grant: OAuthGrant | null;
  /** A tenant admin revoking a member's grant: the member (else it is the person's own). */
  member?: { userId: string; name: string };
  onRevoked: (grant: OAuthGrant) => void;
  onFailed: (grant: OAuthGrant, error: unknown) => void;
  onCancel: () => void;
}

/** Disconnecting an MCP client, asked first in a dialog naming it; its tokens stop working at once. */
export function RevokeGrantDialog({ grant, member, onRevoked, onFailed, onCancel }: RevokeGrantDialogProps) {
  const { t } = useTranslation('sessions');
  const trpc = useTRPC();
  const own = useMutation(trpc.auth.revokeGrant.mutationOptions());
  const theirs = useMutation(trpc.tenants.revokeMemberGrant.mutationOptions());
  const confirm = () => {
    if (!grant) return;
    const done = { onSuccess: () => onRevoked(grant), onError: (error: unknown) => onFailed(grant, error) };
    if (member) theirs.mutate({ userId: member.userId, grantId: grant.id }, done);
    else own.mutate({ grantId: grant.id }, done);
  };
  const name = grant ? clientLabel(grant.client) : null;
  return (
    <ConfirmDialog
      open={grant !== null}
      title={name === null ? t('revoke.titleUnnamed') : member ? t('revoke.titleMember', { name, member: member.name }) : t('revoke.title', { name })}
      confirmLabel={t('revoke.confirm')}
      danger
      busy={own.isPending || theirs.isPending}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      {grant && (
        <>
          <p>
            {/* All of a tenant's servers name the tenant already; one server is named with it. */}
            {t(
              grant.resource.slug === null ? (member ? 'revoke.noLongerMember' : 'revoke.noLonger') : member ? 'revoke.noLongerMemberIn' : 'revoke.noLongerIn',
              { resource: resourcePhrase(grant.resource, grant.tenantName), tenant: grant.tenantName, member: member?.name },
            )}
          </p>
          <p>{member ? t('revoke.againMember', { member: member.name }) : t('revoke.again')}</p>
        </>
      )}
    </ConfirmDialog>
  );
}
