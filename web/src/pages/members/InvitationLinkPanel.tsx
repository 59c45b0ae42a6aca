import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { InvitationLink } from '@mreg/shared';
import { CopyField } from '../../components/Copy';
import { useFormatters } from '../../prefs/usePreferences';

/**
 * An invitation's link, the one time MREG shows it (it keeps only a fingerprint): copied from a
 * read-only field (which has the focus, selected) or with the Copy button. `renewed`: a new link for
 * an invitation that had one, which no longer works. Done puts it away for good.
 */
export function InvitationLinkPanel({ made, renewed, tenantName, onDone }: { made: InvitationLink; renewed: boolean; tenantName: string; onDone: () => void }) {
  const { t } = useTranslation('members');
  const format = useFormatters();
  const titleId = useId();
  const { invitation, link } = made;
  const email = invitation.email;
  return (
    <section className="card invitation-link" aria-labelledby={titleId}>
      <h2 id={titleId}>{t(renewed ? 'link.renewedHeading' : 'link.heading', { email })}</h2>
      <p className="invitation-link-warning">
        <strong>{t('link.instructions', { email, until: format.dateTime(invitation.expiresAt) })}</strong>
      </p>
      <CopyField label={t('link.field')} value={link} what={t('link.copyWhat', { email })} autoFocus />
      <p className="muted">
        {renewed && `${t('link.previousGone')} `}
        {t('link.howToJoin', { tenant: tenantName, role: t(`aRole.${invitation.role}`), email })}
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={onDone}>
          {t('link.done')}
        </button>
      </div>
    </section>
  );
}
