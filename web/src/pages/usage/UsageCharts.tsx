// Recharts (https://recharts.github.io/): loaded on demand, so the sign-in page never carries it.
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTranslation } from 'react-i18next';
import { latency, type UsagePoint } from './words';

// The app's own colours (styles.css): they follow the light or dark theme by themselves.
const AXIS = { fill: 'var(--muted)', fontSize: 12 };
const TOOLTIP = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, color: 'var(--text)', fontSize: 13 },
  labelStyle: { color: 'var(--text)', fontWeight: 600 },
  cursor: { fill: 'var(--surface-2)' },
};
const HEIGHT = 180;

interface UsageChartsProps {
  points: UsagePoint[];
  /** The person's locale, for the latency axis and tooltips. */
  locale: string;
  /** Each chart in a sentence: the figure's accessible name (the table below has the figures). */
  callsLabel: string;
  latencyLabel: string;
}

/** Calls (succeeded and failed, stacked) and latency (p50, p95) per bucket. */
export default function UsageCharts({ points, locale, callsLabel, latencyLabel }: UsageChartsProps) {
  const { t } = useTranslation('servers');
  return (
    <div className="usage-charts">
      <div className="usage-chart">
        <h3 aria-hidden="true">{t('usage.callsChart')}</h3>
        <div role="img" aria-label={t('usage.callsChartLabel', { summary: callsLabel })}>
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid vertical={false} stroke="var(--border)" />
              <XAxis dataKey="tick" tick={AXIS} tickLine={false} axisLine={{ stroke: 'var(--border)' }} minTickGap={12} />
              <YAxis allowDecimals={false} width={36} tick={AXIS} tickLine={false} axisLine={false} />
              <Tooltip {...TOOLTIP} labelFormatter={(_, payload) => (payload[0]?.payload as UsagePoint | undefined)?.label ?? ''} />
              <Legend wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
              <Bar dataKey="succeeded" name={t('usage.succeeded')} stackId="calls" fill="var(--chart-calls)" isAnimationActive={false} />
              <Bar dataKey="errors" name={t('usage.errors')} stackId="calls" fill="var(--chart-errors)" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </div>
      <div className="usage-chart">
        <h3 aria-hidden="true">{t('usage.latencyChart')}</h3>
        <div role="img" aria-label={t('usage.latencyChartLabel', { summary: latencyLabel })}>
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <LineChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid vertical={false} stroke="var(--border)" />
              {/* Padded, so that the first and last stretch's points are whole. */}
              <XAxis dataKey="tick" tick={AXIS} tickLine={false} axisLine={{ stroke: 'var(--border)' }} minTickGap={12} padding={{ left: 8, right: 8 }} />
              <YAxis width={64} tick={AXIS} tickLine={false} axisLine={false} tickFormatter={(ms: number) => latency(ms, locale)} />
              <Tooltip
                {...TOOLTIP}
                cursor={{ stroke: 'var(--border)' }}
                labelFormatter={(_, payload) => (payload[0]?.payload as UsagePoint | undefined)?.label ?? ''}
                formatter={(value) => latency(typeof value === 'number' ? value : null, locale)}
              />
              <Legend wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
              <Line dataKey="p50Ms" name={t('usage.p50')} stroke="var(--chart-p50)" strokeWidth={2} dot={{ r: 2 }} connectNulls={false} isAnimationActive={false} />
              <Line dataKey="p95Ms" name={t('usage.p95')} stroke="var(--chart-p95)" strokeWidth={2} strokeDasharray="5 3" dot={{ r: 2 }} connectNulls={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
    </div>
  );
}
