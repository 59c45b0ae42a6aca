import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { PageTitle } from '../components/PageTitle';
import { DateSettings } from './preferences/DateSettings';
import { OtherSettings } from './preferences/OtherSettings';
import { ThemeChoice } from './preferences/ThemeChoice';
import './Preferences.css';

/** The app's own settings (theme, language, time zone), and whatever else the server holds, read-only. */
export function Preferences() {
  const { preferences } = useEnhancedAuth();
  const { t } = useTranslation('preferences');
  return (
    <div className="preferences-page">
      <PageTitle title={t('title')}>{t('lead')}</PageTitle>
      <section className="card preferences-section" aria-label={t('appearance')}>
        <ThemeChoice />
      </section>
      <DateSettings />
      <OtherSettings preferences={preferences} />
    </div>
  );
}
