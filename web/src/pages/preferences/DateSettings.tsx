import { useId, useMemo, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { LANGUAGE_CHOICES } from '../../i18n/languages';
import { browserDefaults, timeZones, UI_CATEGORY, UI_KEYS } from '../../prefs/ui-preferences';
import { makeFormatters, useFormatters, useUiPreferences } from '../../prefs/usePreferences';

/** What the selects hold: '' is the browser default. */
type Choice = { language: string; timeZone: string };

/** The offered values, plus the saved one when another tool stored something outside them. */
function withSaved<T>(options: T[], saved: string | null, value: (option: T) => string, make: (saved: string) => T): T[] {
  return saved === null || options.some((option) => value(option) === saved) ? options : [make(saved), ...options];
}

/**
 * Language and time zone for every date the app shows. These wait for Save (unlike the theme):
 * moving through a select with the arrow keys changes it at every step, and a request per step
 * through some four hundred zones would be a waste.
 */
export function DateSettings() {
  const auth = useEnhancedAuth();
  const saved = useUiPreferences();
  const format = useFormatters();
  const headingId = useId();
  const [browser] = useState(browserDefaults);
  const [now] = useState(() => new Date().toISOString());
  const [draft, setDraft] = useState<Partial<Choice>>({});
  const [unchangedNote, setUnchangedNote] = useState(false);
  const save = useMutation({ mutationFn: (changes: Record<string, string | null>) => auth.updatePreferences(UI_CATEGORY, changes) });

  const languages = useMemo(() => withSaved(LANGUAGE_CHOICES, saved.language, (l) => l.tag, (tag) => ({ tag, label: tag })), [saved.language]);
  const zones = useMemo(() => withSaved(timeZones(), saved.timeZone, (zone) => zone, (zone) => zone), [saved.timeZone]);

  const choice: Choice = {
    language: draft.language ?? saved.language ?? '',
    timeZone: draft.timeZone ?? saved.timeZone ?? '',
  };
  const changed = choice.language !== (saved.language ?? '') || choice.timeZone !== (saved.timeZone ?? '');
  // What the unsaved choice would give, formatted as every date in the app is.
  const example = useMemo(
    () => (changed ? makeFormatters(choice.language || null, choice.timeZone || null) : format).dateTime(now),
    [changed, choice.language, choice.timeZone, format, now],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Only what changed is written, so a value set meanwhile elsewhere (another tab) is not overwritten.
    // An empty choice is stored as null: "the browser's", as readUiPreferences reads it.
    const changes: Record<string, string | null> = {};
    if (choice.language !== (saved.language ?? '')) changes[UI_KEYS.language] = choice.language || null;
    if (choice.timeZone !== (saved.timeZone ?? '')) changes[UI_KEYS.timeZone] = choice.timeZone || null;
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
      <h2 id={headingId}>Dates and times</h2>
      {save.isError && <LoadError what="Your language and time zone were not saved" error={save.error} />}
      <form className="form" onSubmit={submit}>
        <Field label="Language" hint="Sets the words and order of dates, such as 5 Mar 2026 or Mar 5, 2026.">
          <select value={choice.language} onChange={(event) => pick('language', event.target.value)}>
            <option value="">Browser default ({browser.language})</option>
            {languages.map((language) => (
              <option key={language.tag} value={language.tag}>
                {language.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Time zone" hint="Times are shown in this zone.">
          <select value={choice.timeZone} onChange={(event) => pick('timeZone', event.target.value)}>
            <option value="">Browser default ({browser.timeZone})</option>
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <p className="date-example" aria-live="polite">
          Dates will look like: <strong>{example}</strong>
          {changed && <span className="muted"> (once saved)</span>}
        </p>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending} aria-busy={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
          <p role="status" className="preferences-status">
            {save.isSuccess && !changed ? 'Language and time zone saved' : unchangedNote ? 'Nothing to save: these are already your settings' : ''}
          </p>
        </div>
        <p className="hint">The theme above is saved as soon as you choose it; these two wait for Save.</p>
      </form>
    </section>
  );
}
