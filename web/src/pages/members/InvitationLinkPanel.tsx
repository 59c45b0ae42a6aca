import { useId } from 'react';
import type { InvitationLink } from '@mreg/shared';
import { CopyField } from '../../components/Copy';
import { useFormatters } from '../../prefs/usePreferences';
import { aRole } from '../../roles';
import { linkInstructions } from './invitations';

/**
 * An invitation's link, the one time MREG shows it (it keeps only a fingerprint): copied from a
 * read-only field (which has the focus, selected) or with the Copy button. `renewed`: a new link for
 * an invitation that had one, which no longer works. Done puts it away for good.
 */
export function InvitationLinkPanel({ made, renewed, tenantName, onDone }: { made: InvitationLink; renewed: boolean; tenantName: string; onDone: () => void }) {
  const format = useFormatters();
  const titleId = useId();
  const { invitation, link } = made;
  return (
    <section className="card invitation-link" aria-labelledby={titleId}>
      <h2 id={titleId}>
        {renewed ? 'New invitation link' : 'Invitation link'} for {invitation.email}
      </h2>
      <p className="invitation-link-warning">
        <strong>{linkInstructions(invitation.email, format.dateTime(invitation.expiresAt))}</strong>
      </p>
      <CopyField label="Invitation link" value={link} what={`the invitation link for ${invitation.email}`} autoFocus />
      <p className="muted">
        {renewed ? 'The previous link for this invitation no longer works. ' : ''}
        To join {tenantName} as {aRole(invitation.role)}, {invitation.email} opens it, signs in with that address and accepts. The link is shown
        only now: if it gets lost, make a new one under Pending invitations.
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
