import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { LoadError } from '../../components/LoadError';
import { THEMES, UI_CATEGORY, type Theme } from '../../prefs/ui-preferences';
import { useUiPreferences } from '../../prefs/usePreferences';

/**
 * Saved on each choice, no button: the provider applies it before the server answers and puts the
 * old one back if the server refuses. The radios also hold the latest choice themselves until its
 * answer comes: the provider's update reaches React a tick later (and an earlier, slower answer may
 * land in between), and a controlled radio would snap back meanwhile.
 */
export function ThemeChoice() {
  const auth = useEnhancedAuth();
  const { theme } = useUiPreferences();
  const hintId = useId();
  const { t } = useTranslation('preferences');
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  const [pending, setPending] = useState<Theme | null>(null);
  const latest = useRef(0);

  const choose = (next: Theme) => {
    const ticket = ++latest.current;
    setPending(next);
    setFailure(null);
    auth
      .updatePreferences(UI_CATEGORY, { theme: next })
      // Only the last choice's outcome matters: an earlier one's was overtaken.
      .catch((error: unknown) => ticket === latest.current && setFailure({ error }))
      .finally(() => ticket === latest.current && setPending(null));
  };
  const shown = pending ?? theme;

  return (
    <fieldset className="theme-choice" aria-describedby={hintId}>
      <legend>{t('theme.legend')}</legend>
      <p id={hintId} className="hint">
        {t('theme.hint')}
      </p>
      <div className="theme-options">
        {THEMES.map((option) => (
          <label key={option} className="theme-option">
            <input type="radio" name="theme" value={option} checked={shown === option} onChange={() => choose(option)} />
            {t(`theme.${option}`)}
          </label>
        ))}
      </div>
      {failure && <LoadError what={t('theme.notSaved')} error={failure.error} />}
    </fieldset>
  );
}
