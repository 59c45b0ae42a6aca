import { useId, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { effectivePermissions, type Role, type TenantMember } from '@mreg/shared';
import { ROLE_OPTIONS } from '../../roles';
import { nameOf } from './problems';
import type { MemberActions } from './useMemberActions';

interface RoleDialogProps {
  member: TenantMember;
  tenantName: string;
  isMe: boolean;
  actions: MemberActions;
}

/**
 * A member's new role, chosen in a modal dialog (native <dialog>: focus stays in it, Escape
 * cancels, and focus goes back to the row's menu button on close). Each role says what it allows;
 * nothing changes until the button is pressed. Taking away one's own members:manage is said
 * before it is done: this page then closes for good.
 */
export function RoleDialog({ member, tenantName, isMe, actions }: RoleDialogProps) {
  const { t } = useTranslation('members');
  const dialog = useRef<HTMLDialogElement>(null);
  const current = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const [choice, setChoice] = useState<Role>(member.role);
  const busy = actions.working;
  const name = nameOf(member);
  const closesPage = isMe && !effectivePermissions(choice, member.permissions).includes('members:manage');

  // A layout effect, whose cleanup runs while the dialog is still in the page: closed there, it
  // hands the focus back to what had it (the row's menu button); removed open, it would drop it.
  useLayoutEffect(() => {
    const node = dialog.current;
    if (!node) return;
    node.showModal();
    current.current?.focus();
    return () => node.close();
  }, []);

  const label =
    choice === member.role ? t('roleDialog.confirmPlain') : isMe ? t('roleDialog.confirmMine', { role: t(`aRole.${choice}`) }) : t('roleDialog.confirm', { name, role: t(`aRole.${choice}`) });

  return (
    <dialog
      ref={dialog}
      className="dialog role-dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) actions.cancel();
      }}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!busy && choice !== member.role) actions.changeRole(choice);
        }}
      >
        <h2 id={titleId}>{t('roleDialog.title', { name })}</h2>
        <fieldset className="role-choices">
          <legend>{t('roleDialog.legend', { tenant: tenantName })}</legend>
          {ROLE_OPTIONS.map((role) => (
            <label key={role} className="role-choice">
              <input
                ref={role === member.role ? current : undefined}
                type="radio"
                name="role"
                value={role}
                checked={choice === role}
                onChange={() => setChoice(role)}
              />
              <span>
                <strong>{t(`roles.${role}`)}</strong>
                {role === member.role && <span className="muted"> {t('roleDialog.current')}</span>}
                <span className="role-choice-summary muted">{t(`roleSummary.${role}`)}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {closesPage && (
          <p className="role-dialog-warning" role="note">
            {t('roleDialog.closesPage', { role: t(`aRole.${choice}`), tenant: tenantName })}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={actions.cancel} disabled={busy}>
            {t('dialog.cancel')}
          </button>
          <button type="submit" className={closesPage ? 'danger' : 'primary'} disabled={busy || choice === member.role} aria-busy={busy}>
            {busy ? t('dialog.working') : label}
          </button>
        </div>
      </form>
    </dialog>
  );
}
