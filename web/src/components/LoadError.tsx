import { useTranslation } from 'react-i18next';
import { errorMessage } from '../trpc';

/** A failed load or action: what failed, the server's reason, and a way to try again. */
export function LoadError({ what, error, retry }: { what: string; error: unknown; retry?: () => unknown }) {
  const { t } = useTranslation();
  return (
    <div role="alert" className="banner banner-error">
      <p>
        <strong>{what}.</strong> {errorMessage(error)}
      </p>
      {retry && (
        <button type="button" onClick={() => void retry()}>
          {t('actions.tryAgain')}
        </button>
      )}
    </div>
  );
}
