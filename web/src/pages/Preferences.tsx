import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { PageTitle } from '../components/PageTitle';
import { DateSettings } from './preferences/DateSettings';
import { OtherSettings } from './preferences/OtherSettings';
import { ThemeChoice } from './preferences/ThemeChoice';
import './Preferences.css';

/** The app's own settings (theme, language, time zone), and whatever else the server holds, read-only. */
export function Preferences() {
  const { preferences } = useEnhancedAuth();
  return (
    <div className="preferences-page">
      <PageTitle title="Preferences">Kept with your account, so they follow you to every browser you sign in from.</PageTitle>
      <section className="card preferences-section" aria-label="Appearance">
        <ThemeChoice />
      </section>
      <DateSettings />
      <OtherSettings preferences={preferences} />
    </div>
  );
}
