import { useTranslation } from 'react-i18next';
import { useNumber } from '../servers/words';
import { errorRate, latency, type Period, type UsagePoint } from './words';

/** Every bucket's figures as text: what the charts draw, for reading and for screen readers. */
export function UsageTable({ points, period, locale }: { points: UsagePoint[]; period: Period; locale: string }) {
  const { t } = useTranslation('servers');
  const number = useNumber();
  const when = t(period === 'day' ? 'usage.hourFrom' : 'usage.day');
  return (
    <details className="usage-figures">
      <summary>{t(period === 'day' ? 'usage.figuresDay' : 'usage.figuresWeek')}</summary>
      <table className="table usage-table" aria-label={t(period === 'day' ? 'usage.tableDay' : 'usage.tableWeek')}>
        <thead>
          <tr>
            <th scope="col">{when}</th>
            <th scope="col">{t('usage.calls')}</th>
            <th scope="col">{t('usage.errors')}</th>
            <th scope="col">{t('usage.p50')}</th>
            <th scope="col">{t('usage.p95')}</th>
          </tr>
        </thead>
        <tbody>
          {points.map((point) => (
            <tr key={point.label}>
              <th scope="row" data-label={when}>
                {point.label}
              </th>
              <td data-label={t('usage.calls')}>{number(point.calls)}</td>
              <td data-label={t('usage.errors')}>
                {number(point.errors)}
                {point.calls > 0 && <span className="muted"> ({errorRate(point, locale)})</span>}
              </td>
              <td data-label={t('usage.p50')}>{latency(point.p50Ms, locale)}</td>
              <td data-label={t('usage.p95')}>{latency(point.p95Ms, locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
