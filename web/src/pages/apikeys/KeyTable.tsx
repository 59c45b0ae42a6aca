import type { ApiKey } from '@mreg/shared';
import { useTranslation } from 'react-i18next';
import { useNow } from '../../components/useNow';
import { useFormatters } from '../../prefs/usePreferences';
import { expiryState, hintText } from './expiry';

/** When, as "3 days ago" with the date on hover. */
function When({ iso }: { iso: string }) {
  const format = useFormatters();
  const now = useNow();
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, now)}
    </time>
  );
}

function Expiry({ apiKey }: { apiKey: ApiKey }) {
  const { t } = useTranslation('apikeys');
  const format = useFormatters();
  const state = expiryState(apiKey);
  if (state.kind === 'never') return <span className="muted">{t('table.never')}</span>;
  if (state.kind === 'expired') {
    return (
      <>
        <span className="badge key-expired">{t('table.expired')}</span> <time dateTime={state.at}>{format.dateTime(state.at)}</time>
      </>
    );
  }
  return (
    <>
      <When iso={state.at} />
      <span className="key-absolute muted">{format.dateTime(state.at)}</span>
    </>
  );
}

/** My keys in the active tenant, each with a way to revoke it. */
export function KeyTable({ keys, tenantName, onRevoke }: { keys: ApiKey[]; tenantName: string; onRevoke: (key: ApiKey) => void }) {
  const { t } = useTranslation('apikeys');
  const format = useFormatters();
  return (
    <table className="table keys-table" aria-label={t('table.label', { tenant: tenantName })}>
      <thead>
        <tr>
          <th scope="col">{t('table.name')}</th>
          <th scope="col">{t('table.key')}</th>
          <th scope="col">{t('table.created')}</th>
          <th scope="col">{t('table.expires')}</th>
          <th scope="col">{t('table.lastUsed')}</th>
          <th scope="col">
            <span className="visually-hidden">{t('table.action')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key.id} className={key.expired ? 'key-is-expired' : undefined}>
            <td data-label={t('table.name')} className="key-name">
              {key.name}
            </td>
            <td data-label={t('table.key')}>
              <code className="key-hint">{hintText(key)}</code>
            </td>
            <td data-label={t('table.created')}>
              <time dateTime={key.createdAt}>{format.dateTime(key.createdAt)}</time>
            </td>
            <td data-label={t('table.expires')}>
              <Expiry apiKey={key} />
            </td>
            <td data-label={t('table.lastUsed')}>{key.lastUsedAt ? <When iso={key.lastUsedAt} /> : <span className="muted">{t('table.neverUsed')}</span>}</td>
            <td className="key-action">
              <button
                type="button"
                className="danger"
                aria-label={t('table.revokeLabel', { name: key.name, hint: hintText(key) })}
                onClick={() => onRevoke(key)}
              >
                {t('table.revoke')}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
