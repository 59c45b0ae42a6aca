import { useTranslation } from 'react-i18next';
import type { TenantMember } from '@mreg/shared';
import { Avatar } from '../../components/Avatar';
import { useFormatters } from '../../prefs/usePreferences';
import { MemberGrants } from './MemberGrants';
import { MemberSessions } from './MemberSessions';
import { nameOf } from './problems';
import { RowMenu, type MenuAction } from './RowMenu';
import type { Feedback, MemberActions } from './useMemberActions';

interface MemberRowProps {
  member: TenantMember;
  tenantName: string;
  isMe: boolean;
  /** My own picture; others' are not in the list. */
  myAvatarUrl: string | null;
  canManageSessions: boolean;
  sessionsOpen: boolean;
  onToggleSessions: () => void;
  actions: MemberActions;
  feedback: Feedback;
  now: number;
}

/**
 * One member's row of the table (and, opened, their sessions and connected apps under it): role,
 * state, last activity, and one menu of actions, so that the row keeps its size whatever happens.
 * The tenant's only active admin gets a note saying why their actions are unavailable.
 */
export function MemberRow({ member, tenantName, isMe, myAvatarUrl, canManageSessions, sessionsOpen, onToggleSessions, actions, feedback, now }: MemberRowProps) {
  const { t } = useTranslation('members');
  const format = useFormatters();
  const name = nameOf(member);
  const locked = actions.locked(member);
  const noteId = `member-note-${member.userId}`;

  const menu: MenuAction[] = [
    { key: 'role', label: t('menu.changeRole'), disabled: locked, onSelect: () => actions.ask('role', member) },
    ...(canManageSessions ? [{ key: 'sessions', label: t(sessionsOpen ? 'menu.hideAccess' : 'menu.showAccess'), onSelect: onToggleSessions }] : []),
    member.isActive
      ? { key: 'active', label: t('menu.deactivate'), disabled: locked, onSelect: () => actions.ask('deactivate', member) }
      : { key: 'active', label: t('menu.reactivate'), onSelect: () => actions.ask('reactivate', member) },
    { key: 'remove', label: t('menu.remove'), disabled: locked, danger: true, onSelect: () => actions.ask('remove', member) },
  ];

  return (
    <>
      <tr className={member.isActive ? undefined : 'member-inactive'}>
        <td data-label={t('table.member')}>
          <div className="member-who">
            <Avatar name={name} url={isMe ? myAvatarUrl : null} />
            <div className="member-names">
              <span className="member-name">
                <bdi>{name}</bdi>
                {isMe && <span className="badge">{t('table.you')}</span>}
              </span>
              <span className="muted member-email">{member.email}</span>
            </div>
          </div>
        </td>
        <td data-label={t('table.role')} className="member-role-name">
          {t(`roles.${member.role}`)}
        </td>
        <td data-label={t('table.status')}>
          {member.isActive ? <span className="badge badge-active">{t('table.active')}</span> : <span className="badge badge-muted">{t('table.deactivated')}</span>}
        </td>
        <td data-label={t('table.lastActive')}>
          {member.lastActive ? (
            <time dateTime={member.lastActive} title={format.dateTime(member.lastActive)}>
              {format.relative(member.lastActive, now)}
            </time>
          ) : (
            <span className="muted">{t('table.never')}</span>
          )}
        </td>
        <td className="member-actions">
          <div className="member-buttons">
            {locked && (
              <p id={noteId} className="member-note">
                {t('table.onlyAdmin')}
              </p>
            )}
            <RowMenu
              text={t('menu.button')}
              label={t('menu.label', { name })}
              actions={menu}
              describedBy={locked ? noteId : undefined}
              busy={actions.isBusy(member)}
            />
          </div>
        </td>
      </tr>
      {sessionsOpen && (
        <tr className="member-sessions-row">
          <td colSpan={5}>
            <div className="member-access">
              <MemberSessions member={member} tenantName={tenantName} isMe={isMe} onEnded={feedback.report} onProblem={feedback.fail} />
              <MemberGrants member={member} tenantName={tenantName} onRevoked={feedback.report} onProblem={feedback.fail} />
            </div>
          </td>
        </tr>
      )}
    </>
  );
}
