import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { PageTitle } from '../components/PageTitle';

export function NotFound() {
  const { t } = useTranslation('dashboard');
  return (
    <section>
      <PageTitle title={t('notFound.title')}>{t('notFound.text', { path: window.location.pathname })}</PageTitle>
      <p>
        <Link href="/dashboard" className="button">
          {t('notFound.back')}
        </Link>
      </p>
    </section>
  );
}
