import { PERIOD_LABEL, errorRate, latency, type Period, type UsagePoint } from './words';

/** Every bucket's figures as text: what the charts draw, for reading and for screen readers. */
export function UsageTable({ points, period }: { points: UsagePoint[]; period: Period }) {
  return (
    <details className="usage-figures">
      <summary>The figures, {period === 'day' ? 'hour by hour' : 'day by day (UTC)'}</summary>
      <table className="table usage-table" aria-label={`Tool calls, ${PERIOD_LABEL[period].toLowerCase()}, ${period === 'day' ? 'by hour' : 'by day'}`}>
        <thead>
          <tr>
            <th scope="col">{period === 'day' ? 'Hour from' : 'Day'}</th>
            <th scope="col">Calls</th>
            <th scope="col">Errors</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
          </tr>
        </thead>
        <tbody>
          {points.map((point) => (
            <tr key={point.label}>
              <th scope="row" data-label={period === 'day' ? 'Hour from' : 'Day'}>
                {point.label}
              </th>
              <td data-label="Calls">{point.calls}</td>
              <td data-label="Errors">
                {point.errors}
                {point.calls > 0 && <span className="muted"> ({errorRate(point)})</span>}
              </td>
              <td data-label="p50">{latency(point.p50Ms)}</td>
              <td data-label="p95">{latency(point.p95Ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
