import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import type { MemberActions } from './useMemberActions';
import { nameOf } from './problems';
import { RoleDialog } from './RoleDialog';

/**
 * The question before a member action, in this tenant: the new role (its own dialog), or whether to
 * deactivate, reactivate or remove them, and what that does.
 */
export function MemberActionDialog({ actions, tenantName, me }: { actions: MemberActions; tenantName: string; me: string | undefined }) {
  const { t } = useTranslation('members');
  const { pending } = actions;
  if (pending?.kind === 'role') {
    return <RoleDialog key={pending.member.userId} member={pending.member} tenantName={tenantName} isMe={pending.member.userId === me} actions={actions} />;
  }
  const kind = pending?.kind;
  const name = pending ? nameOf(pending.member) : '';
  const isMe = pending?.member.userId === me;
  const values = { name, tenant: tenantName, role: pending ? t(`aRole.${pending.member.role}`) : '' };
  return (
    <ConfirmDialog
      open={pending !== null}
      title={kind ? t(`confirm.${kind}.title`, values) : ''}
      confirmLabel={kind ? t(`confirm.${kind}.button`) : ''}
      danger={kind !== 'reactivate'}
      busy={actions.working}
      onConfirm={actions.confirm}
      onCancel={actions.cancel}
    >
      {kind && <p>{t(`confirm.${kind}.text`, values)}</p>}
      {kind && kind !== 'reactivate' && isMe && <p>{t(`confirm.${kind}.yourself`)}</p>}
    </ConfirmDialog>
  );
}
