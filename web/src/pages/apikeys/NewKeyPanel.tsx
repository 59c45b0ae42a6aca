import type { ApiKeyCreated } from '@mreg/shared';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { CopyField } from '../../components/Copy';

/**
 * The secret of the key just made, the one time MREG shows it: copied from a read-only field (which
 * has the focus, selected) or with the Copy button. Done puts it away for good.
 */
export function NewKeyPanel({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const { t } = useTranslation('apikeys');
  const { apiKey, secret } = created;
  return (
    <section className="card new-key" aria-labelledby="new-key-title">
      <h2 id="new-key-title">{t('created.title', { name: apiKey.name })}</h2>
      <p className="new-key-warning">
        <Trans t={t} i18nKey="created.warning" components={{ strong: <strong /> }} />
      </p>
      <CopyField label={t('created.label')} value={secret} what={t('created.what', { name: apiKey.name })} autoFocus />
      <p className="muted">
        <Trans
          t={t}
          i18nKey="created.use"
          values={{ header: 'Authorization: Bearer <key>' }}
          components={{ connect: <Link href="/servers#connect" />, code: <code /> }}
        />
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={onDone}>
          {t('created.done')}
        </button>
      </div>
    </section>
  );
}
