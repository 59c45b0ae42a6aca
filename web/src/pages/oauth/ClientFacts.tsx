import type { OAuthClientSummary } from '@mreg/shared';
import { Trans, useTranslation } from 'react-i18next';
import { useNow } from '../../components/useNow';
import { useFormatters } from '../../prefs/usePreferences';
import { NO_CLIENT_NAME } from './words';

/**
 * Which app asks: its name (its own word, shown as text; <bdi> keeps right-to-left tricks inside it),
 * where it sends the person back to, and how little MREG knows about it.
 */
export function ClientFacts({ client }: { client: OAuthClientSummary }) {
  const { t } = useTranslation('sessions');
  const format = useFormatters();
  const now = useNow();
  const when = !client.registeredRecently
    ? format.dateTime(client.registeredAt)
    : now - Date.parse(client.registeredAt) < 60_000
      ? t('consent.justNow')
      : format.relative(client.registeredAt, now);
  const registered = <time dateTime={client.registeredAt} title={format.dateTime(client.registeredAt)} />;
  return (
    <div className="consent-client">
      <dl className="facts consent-facts">
        <dt>{t('consent.app')}</dt>
        <dd>
          {client.name === null ? (
            <span className="muted consent-no-name">{NO_CLIENT_NAME}</span>
          ) : (
            <bdi className="consent-client-name">{client.name}</bdi>
          )}
        </dd>
        <dt>{t('consent.sendsBack')}</dt>
        <dd>
          <code className="consent-host">{client.redirectHost}</code>
        </dd>
      </dl>
      {!client.verified && (
        <p className="note consent-unverified">
          <Trans
            t={t}
            i18nKey={client.registeredRecently ? 'consent.registeredRecently' : 'consent.registeredOn'}
            values={{ when }}
            components={{ time: registered }}
          />{' '}
          {t('consent.unverified')}
        </p>
      )}
    </div>
  );
}
