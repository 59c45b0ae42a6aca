import type { OAuthClientSummary } from '@mreg/shared';
import { useNow } from '../../components/useNow';
import { useFormatters } from '../../prefs/usePreferences';
import { NO_CLIENT_NAME } from './words';

/**
 * Which app asks: its name (its own word, shown as text; <bdi> keeps right-to-left tricks inside it),
 * where it sends the person back to, and how little MREG knows about it.
 */
export function ClientFacts({ client }: { client: OAuthClientSummary }) {
  const format = useFormatters();
  const now = useNow();
  const registered = (
    <time dateTime={client.registeredAt} title={format.dateTime(client.registeredAt)}>
      {!client.registeredRecently
        ? format.dateTime(client.registeredAt)
        : now - Date.parse(client.registeredAt) < 60_000
          ? 'just now'
          : format.relative(client.registeredAt, now)}
    </time>
  );
  return (
    <div className="consent-client">
      <dl className="facts consent-facts">
        <dt>App</dt>
        <dd>
          {client.name === null ? (
            <span className="muted consent-no-name">{NO_CLIENT_NAME}</span>
          ) : (
            <bdi className="consent-client-name">{client.name}</bdi>
          )}
        </dd>
        <dt>Sends you back to</dt>
        <dd>
          <code className="consent-host">{client.redirectHost}</code>
        </dd>
      </dl>
      {!client.verified && (
        <p className="note consent-unverified">
          {client.registeredRecently ? <>Registered {registered}, not verified.</> : <>Registered on {registered}, not verified.</>} MREG cannot
          tell who made this app: its name is whatever it calls itself. Approve only if you started this from the app yourself, just now.
        </p>
      )}
    </div>
  );
}
