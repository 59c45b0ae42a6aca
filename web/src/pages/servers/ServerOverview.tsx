import type { ServerDetail } from '@mreg/shared';
import { useTranslation } from 'react-i18next';
import { useNow } from '../../components/useNow';
import { useFormatters, useLanguage } from '../../prefs/usePreferences';
import { StatusBadge } from './StatusBadge';
import { describeAuth, duration, statusMeaning, useNumber } from './words';

/** When: "3 minutes ago", the date on hover; or what to say when it never happened. */
function When({ iso, never }: { iso: string | null; never: string }) {
  const format = useFormatters();
  const now = useNow();
  if (!iso) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, now)}
    </time>
  );
}

/** A server's settings, health and what its catalogue came from, as facts. */
export function ServerOverview({ detail }: { detail: ServerDetail }) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const number = useNumber();
  const { server, catalogue, health } = detail;
  return (
    <div className="server-overview">
      <section className="card" aria-labelledby="server-settings">
        <h2 id="server-settings">{t('overview.settings')}</h2>
        <dl className="facts server-facts">
          <dt>{t('overview.url')}</dt>
          <dd>
            <code>{server.url}</code>
          </dd>
          <dt>{t('overview.slug')}</dt>
          <dd>
            <code>{server.slug}</code>
          </dd>
          <dt>{t('overview.authentication')}</dt>
          <dd>{describeAuth(server.auth)}</dd>
          <dt>{t('overview.description')}</dt>
          <dd className="catalogue-text">{server.description ?? <span className="muted">{t('overview.notSet')}</span>}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="server-health">
        <h2 id="server-health">{t('overview.health')}</h2>
        <dl className="facts server-facts">
          <dt>{t('overview.status')}</dt>
          <dd>
            <StatusBadge status={server.status} /> <span className="muted">{statusMeaning(server.status)}</span>
          </dd>
          <dt>{t('overview.lastCheck')}</dt>
          <dd>
            <When iso={server.lastCheckedAt} never={t('never')} />
          </dd>
          <dt>{t('overview.lastSuccess')}</dt>
          <dd>
            <When iso={health.lastSuccessAt} never={t('never')} />
          </dd>
          <dt>{t('overview.failures')}</dt>
          <dd>{number(health.consecutiveFailures)}</dd>
          <dt>{t('overview.latency')}</dt>
          <dd>{health.latencyMs === null ? <span className="muted">{t('overview.notMeasured')}</span> : duration(health.latencyMs, locale)}</dd>
          {server.lastError && (
            <>
              <dt>{t('overview.lastError')}</dt>
              <dd className="server-error">{server.lastError}</dd>
            </>
          )}
          <dt>{t('overview.catalogueFetched')}</dt>
          <dd>
            <When iso={catalogue?.fetchedAt ?? null} never={t('overview.notYet')} />
          </dd>
          {catalogue && (
            <>
              <dt>{t('overview.upstream')}</dt>
              <dd>
                {catalogue.serverInfo.title ?? catalogue.serverInfo.name} {catalogue.serverInfo.version}
                <span className="muted"> · {t('overview.protocol', { version: catalogue.protocolVersion })}</span>
              </dd>
            </>
          )}
        </dl>
      </section>
    </div>
  );
}
