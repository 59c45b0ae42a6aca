import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Usage } from '@mreg/shared';
import { useLanguage } from '../../prefs/usePreferences';

type Tops = { tools: NonNullable<Usage['topTools']>; people: NonNullable<Usage['topPeople']> };

/** The week's most used tools and most active people (audit:read only), a bar's length for each count. */
interface TopUsageProps extends Tops {
  /** The tenant's servers now, to link to; null on a server's own page (or until known), where no link is made. */
  liveServers: ReadonlySet<string> | null;
}

export function TopUsage({ tools, people, liveServers }: TopUsageProps) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const mostTools = Math.max(1, ...tools.map((tool) => tool.calls));
  const mostPeople = Math.max(1, ...people.map((person) => person.calls));
  return (
    <div className="usage-tops">
      <section aria-labelledby="usage-top-tools">
        <h3 id="usage-top-tools">{t('usage.topTools')}</h3>
        {tools.length === 0 ? (
          <p className="muted">{t('usage.none')}</p>
        ) : (
          <ol className="usage-top-list">
            {tools.map((tool) => (
              <li key={`${tool.serverId}/${tool.tool}`}>
                <span className="usage-top-name">
                  <code>{tool.tool}</code>
                  {liveServers && (
                    <span className="muted">
                      {' '}
                      {tool.serverId && liveServers.has(tool.serverId) ? (
                        <Trans t={t} i18nKey="usage.onServer" values={{ name: tool.server }} components={{ server: <Link href={`/servers/${tool.serverId}`} /> }} />
                      ) : (
                        // Its calls outlive it: no link to a page that would say there is no such server.
                        t('usage.onRemovedServer', { name: tool.server })
                      )}
                    </span>
                  )}
                </span>
                <span className="usage-top-count">
                  {t('count.calls', { count: tool.calls, locale })}
                  {tool.errors > 0 && <span className="usage-top-errors">, {t('count.errors', { count: tool.errors, locale })}</span>}
                </span>
                <span className="usage-top-bar" aria-hidden="true" style={{ inlineSize: `${(tool.calls * 100) / mostTools}%` }} />
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="usage-top-people">
        <h3 id="usage-top-people">{t('usage.topPeople')}</h3>
        {people.length === 0 ? (
          <p className="muted">{t('usage.none')}</p>
        ) : (
          <ol className="usage-top-list">
            {people.map((person) => (
              <li key={person.userId}>
                <span className="usage-top-name">
                  {person.name} <span className="muted">{person.email}</span>
                </span>
                <span className="usage-top-count">{t('count.calls', { count: person.calls, locale })}</span>
                <span className="usage-top-bar" aria-hidden="true" style={{ inlineSize: `${(person.calls * 100) / mostPeople}%` }} />
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
