import type { Role, TenantMember } from '@mreg/shared';
import { Avatar } from '../../components/Avatar';
import { useFormatters } from '../../prefs/usePreferences';
import { aRole, ROLE_LABEL, ROLE_OPTIONS } from '../../roles';
import { MemberGrants } from './MemberGrants';
import { MemberSessions } from './MemberSessions';
import { nameOf } from './problems';
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

/** One member's row of the table (and, opened, their sessions and connected apps under it): role, state, last activity, actions. */
export function MemberRow({ member, tenantName, isMe, myAvatarUrl, canManageSessions, sessionsOpen, onToggleSessions, actions, feedback, now }: MemberRowProps) {
  const format = useFormatters();
  const choice = actions.choice(member) ?? null;
  const name = nameOf(member);
  const busy = actions.isBusy(member);
  const sessionsId = `member-sessions-${member.userId}`;
  const apply = (role: Role) => {
    actions.choose(member, null);
    actions.applyRole(member, role);
  };

  return (
    <>
      <tr className={member.isActive ? undefined : 'member-inactive'}>
        <td data-label="Member">
          <div className="member-who">
            <Avatar name={name} url={isMe ? myAvatarUrl : null} />
            <div className="member-names">
              <span className="member-name">
                {name}
                {isMe && <span className="badge">You</span>}
              </span>
              <span className="muted member-email">{member.email}</span>
            </div>
          </div>
        </td>
        <td data-label="Role">
          <select
            className="member-role"
            aria-label={`Role of ${name}`}
            value={actions.draftRole(member) ?? choice ?? member.role}
            aria-busy={busy}
            onChange={(event) => actions.choose(member, event.target.value as Role)}
          >
            {ROLE_OPTIONS.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABEL[role]}
              </option>
            ))}
          </select>
          {choice !== null && choice !== member.role && (
            <span className="member-role-apply">
              <button type="button" className="primary" aria-label={`Make ${name} ${aRole(choice)}`} onClick={() => apply(choice)}>
                Apply
              </button>
              <button type="button" aria-label={`Keep the role of ${name}`} onClick={() => actions.choose(member, null)}>
                Cancel
              </button>
            </span>
          )}
        </td>
        <td data-label="Status">
          {member.isActive ? <span className="badge badge-active">Active</span> : <span className="badge badge-muted">Deactivated</span>}
        </td>
        <td data-label="Last active">
          {member.lastActive ? (
            <time dateTime={member.lastActive} title={format.dateTime(member.lastActive)}>
              {format.relative(member.lastActive, now)}
            </time>
          ) : (
            <span className="muted">Never</span>
          )}
        </td>
        <td className="member-actions">
          <div className="member-buttons">
            {canManageSessions && (
              <button
                type="button"
                aria-label={`Sessions and connected apps of ${name}`}
                aria-expanded={sessionsOpen}
                aria-controls={sessionsOpen ? sessionsId : undefined}
                onClick={onToggleSessions}
              >
                Sessions &amp; apps
                <span aria-hidden="true">{sessionsOpen ? '▴' : '▾'}</span>
              </button>
            )}
            {/* One button whose words change, so that the focus stays on it after the change. */}
            <button
              type="button"
              aria-label={`${member.isActive ? 'Deactivate' : 'Reactivate'} ${name}`}
              disabled={busy}
              onClick={() => actions.toggleActive(member)}
            >
              {member.isActive ? 'Deactivate' : 'Reactivate'}
            </button>
            <button type="button" className="danger" aria-label={`Remove ${name}`} disabled={busy} onClick={() => actions.askRemove(member)}>
              Remove
            </button>
          </div>
        </td>
      </tr>
      {sessionsOpen && (
        <tr className="member-sessions-row">
          <td colSpan={5}>
            <div id={sessionsId} className="member-access">
              <MemberSessions member={member} tenantName={tenantName} isMe={isMe} onEnded={feedback.report} onProblem={feedback.fail} />
              <MemberGrants member={member} tenantName={tenantName} onRevoked={feedback.report} onProblem={feedback.fail} />
            </div>
          </td>
        </tr>
      )}
    </>
  );
}
