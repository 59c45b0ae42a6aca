import { useMutation } from '@tanstack/react-query';
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
  const trpc = useTRPC();
  const own = useMutation(trpc.auth.revokeGrant.mutationOptions());
  const theirs = useMutation(trpc.tenants.revokeMemberGrant.mutationOptions());
  const confirm = () => {
    if (!grant) return;
    const done = { onSuccess: () => onRevoked(grant), onError: (error: unknown) => onFailed(grant, error) };
    if (member) theirs.mutate({ userId: member.userId, grantId: grant.id }, done);
    else own.mutate({ grantId: grant.id }, done);
  };
  const name = grant ? clientLabel(grant.client) : 'the app';
  return (
    <ConfirmDialog
      open={grant !== null}
      title={member ? `Disconnect ${name} from ${member.name}?` : `Disconnect ${name}?`}
      confirmLabel="Disconnect"
      danger
      busy={own.isPending || theirs.isPending}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      {grant && (
        <>
          <p>
            It can no longer use {resourcePhrase(grant.resource, grant.tenantName)}{grant.resource.slug === null ? '' : ` in ${grant.tenantName}`}{' '}
            {member ? `as ${member.name}` : 'as you'}: its next request is refused.
          </p>
          <p>
            {member
              ? `To use it again, ${member.name} would have to approve it again.`
              : 'To use it again, connect it again from the app; you will be asked to approve it.'}
          </p>
        </>
      )}
    </ConfirmDialog>
  );
}
