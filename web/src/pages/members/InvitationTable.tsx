import { useTranslation } from 'react-i18next';
import type { Invitation } from '@mreg/shared';
import { useFormatters } from '../../prefs/usePreferences';

function Expires({ invitation, now }: { invitation: Invitation; now: number }) {
  const { t } = useTranslation('members');
  const format = useFormatters();
  const at = invitation.expiresAt;
  // The server's `expired` decides, so that a slow clock here cannot disagree.
  if (invitation.expired) {
    return (
      <>
        <span className="badge invitation-expired">{t('pending.expired')}</span> <time dateTime={at}>{format.dateTime(at)}</time>
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
  const { t } = useTranslation('members');
  return (
    <table className="table invitations-table" aria-label={t('pending.tableLabel', { tenant: tenantName })}>
      <thead>
        <tr>
          <th scope="col">{t('form.email')}</th>
          <th scope="col">{t('table.role')}</th>
          <th scope="col">{t('pending.invitedBy')}</th>
          <th scope="col">{t('pending.expires')}</th>
          <th scope="col">
            <span className="visually-hidden">{t('table.actions')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {invitations.map((invitation) => {
          const busy = busyId === invitation.id;
          return (
            <tr key={invitation.id} className={invitation.expired ? 'invitation-is-expired' : undefined}>
              <td data-label={t('form.email')} className="invitation-email">
                {invitation.email}
              </td>
              <td data-label={t('table.role')}>{t(`roles.${invitation.role}`)}</td>
              <td data-label={t('pending.invitedBy')}>{invitation.invitedBy ?? <span className="muted">{t('pending.inviterGone')}</span>}</td>
              <td data-label={t('pending.expires')}>
                <Expires invitation={invitation} now={now} />
              </td>
              <td className="invitation-row-actions">
                <div className="invitation-buttons">
                  <button
                    type="button"
                    aria-label={t('pending.renewLabel', { email: invitation.email })}
                    disabled={busy}
                    aria-busy={busy}
                    onClick={() => onRenew(invitation)}
                  >
                    {busy ? t('pending.renewing') : t('pending.renew')}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={t('pending.revokeLabel', { email: invitation.email })}
                    disabled={busy}
                    onClick={() => onRevoke(invitation)}
                  >
                    {t('pending.revoke')}
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
