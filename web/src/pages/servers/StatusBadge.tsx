import type { ServerStatus } from '@mreg/shared';
import { statusLabel, statusMeaning } from './words';

// A shape as well as a colour and a word, for those who tell the colours apart poorly.
const SYMBOL: Record<ServerStatus, string> = { healthy: '●', unhealthy: '✕', unknown: '?', disabled: '–' };

/** A server's status as a badge: its word, a symbol and a colour; its meaning on hover. */
export function StatusBadge({ status }: { status: ServerStatus }) {
  return (
    <span className={`badge status-badge status-${status}`} title={statusMeaning(status)}>
      <span aria-hidden="true">{SYMBOL[status]}</span> {statusLabel(status)}
    </span>
  );
}
