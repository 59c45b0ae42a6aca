import type { Invitation } from '@mreg/shared';
import { useFormatters } from '../../prefs/usePreferences';
import { ROLE_LABEL } from '../../roles';

function Expires({ invitation, now }: { invitation: Invitation; now: number }) {
  const format = useFormatters();
  const at = invitation.expiresAt;
  // The server's `expired` decides, so that a slow clock here cannot disagree.
  if (invitation.expired) {
    return (
      <>
        <span className="badge invitation-expired">Expired</span> <time dateTime={at}>{format.dateTime(at)}</time>
      </>
    );
  }
  return (
    <>
      <time dateTime={at} title={format.dateTime(at)}>
        {format.relative(at, now)}
      </time>
      <span className="invitation-absolute muted">{format.dateTime(at)}</span>
    </>
  );
}

interface InvitationTableProps {
  invitations: Invitation[];
  tenantName: string;
  now: number;
  /** The invitation whose new link is on its way: its buttons wait. */
  busyId: string | null;
  onRenew: (invitation: Invitation) => void;
  onRevoke: (invitation: Invitation) => void;
}

/** The tenant's open invitations (expired ones too, which a new link renews), each with a new link or a revoke. */
export function InvitationTable({ invitations, tenantName, now, busyId, onRenew, onRevoke }: InvitationTableProps) {
  return (
    <table className="table invitations-table" aria-label={`Pending invitations to ${tenantName}`}>
      <thead>
        <tr>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">Invited by</th>
          <th scope="col">Expires</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {invitations.map((invitation) => {
          const busy = busyId === invitation.id;
          return (
            <tr key={invitation.id} className={invitation.expired ? 'invitation-is-expired' : undefined}>
              <td data-label="Email" className="invitation-email">
                {invitation.email}
              </td>
              <td data-label="Role">{ROLE_LABEL[invitation.role]}</td>
              <td data-label="Invited by">{invitation.invitedBy ?? <span className="muted">No longer known</span>}</td>
              <td data-label="Expires">
                <Expires invitation={invitation} now={now} />
              </td>
              <td className="invitation-row-actions">
                <div className="invitation-buttons">
                  <button type="button" aria-label={`New link for ${invitation.email}`} disabled={busy} aria-busy={busy} onClick={() => onRenew(invitation)}>
                    {busy ? 'Making a link…' : 'New link'}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Revoke the invitation of ${invitation.email}`}
                    disabled={busy}
                    onClick={() => onRevoke(invitation)}
                  >
                    Revoke
                  </button>
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
