import { useDeferredValue, useId, useMemo, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { useUnsavedChanges } from '../../components/useUnsavedChanges';
import { LANGUAGE_CHOICES } from '../../i18n/languages';
import { currentZoneName, searchZones, zoneLabel, zoneOptions } from '../../prefs/time-zones';
import { browserDefaults, timeZones, UI_CATEGORY, UI_KEYS } from '../../prefs/ui-preferences';
import { makeFormatters, useFormatters, useLanguage, useUiPreferences } from '../../prefs/usePreferences';

/** What the selects hold: '' is the browser default. */
type Choice = { language: string; timeZone: string };

/** The offered values, plus the saved one when another tool stored something outside them. */
function withSaved<T>(options: T[], saved: string | null, value: (option: T) => string, make: (saved: string) => T): T[] {
  return saved === null || options.some((option) => value(option) === saved) ? options : [make(saved), ...options];
}

/**
 * The app's language and the time zone of every date it shows. These wait for Save (unlike the
 * theme): moving through a select with the arrow keys changes it at every step, and the language
 * would change the page under the person's hands. The zones are searchable by city, name or offset,
 * the browser's own first.
 */
export function DateSettings() {
  const auth = useEnhancedAuth();
  const saved = useUiPreferences();
  const format = useFormatters();
  const { locale } = useLanguage();
  const { t } = useTranslation('preferences');
  const headingId = useId();
  const countId = useId();
  const [browser] = useState(() => {
    const defaults = browserDefaults();
    return { ...defaults, timeZone: currentZoneName(defaults.timeZone) };
  });
  const [now] = useState(() => new Date());
  const [draft, setDraft] = useState<Partial<Choice>>({});
  const [query, setQuery] = useState('');
  const [unchangedNote, setUnchangedNote] = useState(false);
  const save = useMutation({ mutationFn: (changes: Record<string, string | null>) => auth.updatePreferences(UI_CATEGORY, changes) });

  const languages = useMemo(() => withSaved(LANGUAGE_CHOICES, saved.language, (l) => l.tag, (tag) => ({ tag, label: tag })), [saved.language]);
  const allZones = useMemo(() => zoneOptions(timeZones(), locale, now), [locale, now]);
  const found = searchZones(allZones, useDeferredValue(query));

  // A zone saved under a retired name (Asia/Calcutta) is the same choice as its current name.
  const savedZone = saved.timeZone ? currentZoneName(saved.timeZone) : '';
  const choice: Choice = { language: draft.language ?? saved.language ?? '', timeZone: draft.timeZone ?? savedZone };
  const changed = choice.language !== (saved.language ?? '') || choice.timeZone !== savedZone;
  useUnsavedChanges(changed);
  // The browser's zone first; the chosen one stays listed whatever the search, or the select would show another.
  const yours = allZones.find((zone) => zone.id === browser.timeZone);
  const chosen = allZones.find((zone) => zone.id === choice.timeZone);
  const shown = found.filter((zone) => zone.id !== yours?.id);
  if (chosen && chosen.id !== yours?.id && !shown.includes(chosen)) shown.unshift(chosen);
  const unknownSaved = choice.timeZone && !chosen ? choice.timeZone : null;
  // What the unsaved choice would give, formatted as every date in the app is.
  const example = useMemo(
    () => (changed ? makeFormatters(choice.language || null, choice.timeZone || null) : format).dateTime(now.toISOString()),
    [changed, choice.language, choice.timeZone, format, now],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Only what changed is written, so a value set meanwhile elsewhere (another tab) is not overwritten.
    // An empty choice is stored as null: "the browser's", as readUiPreferences reads it.
    const changes: Record<string, string | null> = {};
    if (choice.language !== (saved.language ?? '')) changes[UI_KEYS.language] = choice.language || null;
    if (choice.timeZone !== savedZone) changes[UI_KEYS.timeZone] = choice.timeZone || null;
    if (Object.keys(changes).length === 0) {
      save.reset();
      setUnchangedNote(true);
      return;
    }
    setUnchangedNote(false);
    save.mutate(changes, { onSuccess: () => setDraft({}) });
  };

  const pick = (key: keyof Choice, value: string) => {
    setUnchangedNote(false);
    setDraft((current) => ({ ...current, [key]: value }));
  };

  return (
    <section className="card preferences-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('dates.heading')}</h2>
      {save.isError && <LoadError what={t('dates.notSaved')} error={save.error} />}
      <form className="form" onSubmit={submit}>
        <Field label={t('dates.language')} hint={t('dates.languageHint')}>
          <select value={choice.language} onChange={(event) => pick('language', event.target.value)}>
            <option value="">{t('dates.browserDefault', { value: browser.language })}</option>
            {languages.map((language) => (
              <option key={language.tag} value={language.tag} lang={language.tag}>
                {language.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('dates.timeZoneSearch')} hint={t('dates.timeZoneHint')}>
          <input type="search" value={query} autoComplete="off" spellCheck={false} aria-controls={countId} onChange={(event) => setQuery(event.target.value)} />
        </Field>
        <Field label={t('dates.timeZone')} hint={<span id={countId} aria-live="polite">{found.length === 0 ? t('dates.timeZoneNone', { query }) : t('dates.timeZoneCount', { count: found.length })}</span>}>
          <select value={choice.timeZone} onChange={(event) => pick('timeZone', event.target.value)}>
            <option value="">{t('dates.browserDefault', { value: yours ? zoneLabel(yours) : browser.timeZone })}</option>
            {unknownSaved && <option value={unknownSaved}>{unknownSaved}</option>}
            {yours && (
              <optgroup label={t('dates.yourZone')}>
                <option value={yours.id}>{zoneLabel(yours)}</option>
              </optgroup>
            )}
            <optgroup label={t('dates.allZones')}>
              {shown.map((zone) => (
                <option key={zone.id} value={zone.id}>
                  {zoneLabel(zone)}
                </option>
              ))}
            </optgroup>
          </select>
        </Field>
        <p className="date-example" aria-live="polite">
          <Trans t={t} i18nKey="dates.example" values={{ example }} components={{ strong: <strong /> }} />
          {changed && <span className="muted">{t('dates.onceSaved')}</span>}
        </p>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending} aria-busy={save.isPending}>
            {save.isPending ? t('dates.saving') : t('dates.save')}
          </button>
          <p role="status" className="preferences-status">
            {save.isSuccess && !changed ? t('dates.saved') : unchangedNote ? t('dates.unchanged') : ''}
          </p>
        </div>
        <p className="hint">{t('dates.note')}</p>
      </form>
    </section>
  );
}
