import { ConfirmDialog } from '../../components/ConfirmDialog';
import { aRole } from '../../roles';
import type { MemberActions, PendingAction } from './useMemberActions';
import { nameOf } from './problems';

/** The question before a member action that cannot be undone alone: what it does, in this tenant. */
export function MemberActionDialog({ actions, tenantName, me }: { actions: MemberActions; tenantName: string; me: string | undefined }) {
  const { pending } = actions;
  return (
    <ConfirmDialog
      open={pending !== null}
      title={pending ? dialogTitle(pending, tenantName) : ''}
      confirmLabel={pending ? CONFIRM_LABEL[pending.kind] : ''}
      danger={pending?.kind !== 'reactivate'}
      busy={actions.confirming}
      onConfirm={actions.confirm}
      onCancel={actions.cancel}
    >
      {pending && <DialogBody pending={pending} tenantName={tenantName} isMe={pending.member.userId === me} />}
    </ConfirmDialog>
  );
}

const CONFIRM_LABEL: Record<PendingAction['kind'], string> = {
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  remove: 'Remove',
  'own-role': 'Change my role',
};

function dialogTitle(pending: PendingAction, tenantName: string): string {
  const name = nameOf(pending.member);
  switch (pending.kind) {
    case 'deactivate':
      return `Deactivate ${name}?`;
    case 'reactivate':
      return `Reactivate ${name}?`;
    case 'remove':
      return `Remove ${name} from ${tenantName}?`;
    case 'own-role':
      return `Make yourself ${aRole(pending.role)}?`;
  }
}

function DialogBody({ pending, tenantName, isMe }: { pending: PendingAction; tenantName: string; isMe: boolean }) {
  const name = nameOf(pending.member);
  switch (pending.kind) {
    case 'deactivate':
      return (
        <>
          <p>
            {name} can no longer use {tenantName}, and their sessions in {tenantName} end at once. Their membership and role are kept, so you can
            reactivate them later.
          </p>
          {isMe && <p>This includes your own session: you will be signed out.</p>}
        </>
      );
    case 'reactivate':
      return (
        <p>
          {name} can use {tenantName} again, as {aRole(pending.member.role)}.
        </p>
      );
    case 'remove':
      return (
        <>
          <p>
            Their membership of {tenantName} is deleted and their sessions in {tenantName} end at once. To let them back in, add them again by
            email.
          </p>
          {isMe && <p>You are removing yourself: you will be signed out.</p>}
        </>
      );
    case 'own-role':
      return (
        <p>
          As {aRole(pending.role)} you can no longer manage the members of {tenantName}, and this page closes for you. Only another admin can give
          the right back.
        </p>
      );
  }
}
