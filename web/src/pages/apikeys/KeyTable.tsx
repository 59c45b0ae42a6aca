import type { ApiKey } from '@mreg/shared';
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
  const format = useFormatters();
  const state = expiryState(apiKey);
  if (state.kind === 'never') return <span className="muted">Never</span>;
  if (state.kind === 'expired') {
    return (
      <>
        <span className="badge key-expired">Expired</span> <time dateTime={state.at}>{format.dateTime(state.at)}</time>
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
  const format = useFormatters();
  return (
    <table className="table keys-table" aria-label={`Your API keys in ${tenantName}`}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Key</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span className="visually-hidden">Action</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key.id} className={key.expired ? 'key-is-expired' : undefined}>
            <td data-label="Name" className="key-name">
              {key.name}
            </td>
            <td data-label="Key">
              <code className="key-hint">{hintText(key)}</code>
            </td>
            <td data-label="Created">
              <time dateTime={key.createdAt}>{format.dateTime(key.createdAt)}</time>
            </td>
            <td data-label="Expires">
              <Expiry apiKey={key} />
            </td>
            <td data-label="Last used">{key.lastUsedAt ? <When iso={key.lastUsedAt} /> : <span className="muted">Never used</span>}</td>
            <td className="key-action">
              <button type="button" className="danger" aria-label={`Revoke ${key.name} (${hintText(key)})`} onClick={() => onRevoke(key)}>
                Revoke
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
