import { useId } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { PreferencesByCategory } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { UI_CATEGORY, UI_KEYS } from '../../prefs/ui-preferences';

type Group = { category: string; entries: [string, unknown][] };

const OWN_KEYS: readonly string[] = Object.values(UI_KEYS);

/** Everything the server holds that this page does not edit: other categories, and unknown keys in 'ui'. */
export function otherSettings(preferences: PreferencesByCategory | null): Group[] {
  return Object.keys(preferences ?? {})
    .sort()
    .map((category) => ({
      category,
      entries: Object.entries(preferences?.[category] ?? {})
        .filter(([key]) => category !== UI_CATEGORY || !OWN_KEYS.includes(key))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    }))
    .filter((group) => group.entries.length > 0);
}

/** Read-only: these belong to the tools that wrote them, which know what the values mean. */
export function OtherSettings({ preferences }: { preferences: PreferencesByCategory | null }) {
  const headingId = useId();
  const { t } = useTranslation('preferences');
  const groups = otherSettings(preferences);
  return (
    <section className="preferences-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('other.heading')}</h2>
      {groups.length === 0 ? (
        <EmptyState title={t('other.none')}>
          <Trans t={t} i18nKey="other.noneBody" components={{ code: <code /> }} />
        </EmptyState>
      ) : (
        <>
          <p className="hint">{t('other.hint')}</p>
          {groups.map((group) => (
            <section key={group.category} className="card other-settings-group">
              <h3>
                <code>{group.category}</code>
              </h3>
              <dl className="other-settings-list">
                {group.entries.map(([key, value]) => (
                  <div key={key}>
                    <dt>
                      <code>{key}</code>
                    </dt>
                    <dd>
                      <pre>{String(JSON.stringify(value, null, 2) ?? null)}</pre>
                    </dd>
                  </div>
                ))}
              </dl>
            </section>
          ))}
        </>
      )}
    </section>
  );
}
