import { Fragment, type ReactNode } from 'react';
import type { AuditEvent } from '@mreg/shared';
import { useFormatters } from '../../prefs/usePreferences';
import { eventSentence, eventVia, OUTCOME_LABEL } from './words';

/** A symbol beside the word: colour only adds to it. */
const OUTCOME_SYMBOL: Record<AuditEvent['outcome'], string> = { success: '✓', failure: '✕', refused: '⊘', error: '!', cancelled: '–', timeout: '⏱' };

/** One event: a sentence, how it ended and when; opened, every field as recorded. */
export function AuditEventItem({ event, tenantName }: { event: AuditEvent; tenantName: string }) {
  const format = useFormatters();
  const via = eventVia(event);
  const failed = event.outcome !== 'success';
  return (
    <li className={failed ? `audit-event audit-event-${event.outcome === 'cancelled' ? 'cancelled' : 'failed'}` : 'audit-event'}>
      <details>
        <summary>
          <span className="audit-chevron" aria-hidden="true">
            ▸
          </span>
          <span className="audit-summary">
            <span className="audit-sentence">
              {eventSentence(event, tenantName)}
              {via && <span className="audit-via"> {via}</span>}
            </span>
            {failed && (
              <span className={`badge audit-outcome audit-outcome-${event.outcome}`}>
                <span aria-hidden="true">{OUTCOME_SYMBOL[event.outcome]}</span> {OUTCOME_LABEL[event.outcome]}
              </span>
            )}
            <time className="audit-time muted" dateTime={event.at}>
              {format.dateTime(event.at)}
            </time>
          </span>
        </summary>
        <EventFields event={event} />
      </details>
    </li>
  );
}

const none = <span className="muted">—</span>;
const shown = (value: string | number | null | undefined): ReactNode => (value === null || value === undefined || value === '' ? none : String(value));

/** The event as the log keeps it (and the CSV export has it). */
function EventFields({ event }: { event: AuditEvent }) {
  const { actor, target } = event;
  const rows: [string, ReactNode][] = [
    ['Event id', <code>{event.id}</code>],
    ['At', <code>{event.at}</code>],
    ['Action', <code>{event.action}</code>],
    ['Outcome', <code>{event.outcome}</code>],
    ['Reason', event.reason ? <code>{event.reason}</code> : none],
    ['Actor kind', <code>{actor.kind}</code>],
    ['Actor id', actor.userId ? <code>{actor.userId}</code> : none],
    ['Actor name', shown(actor.name)],
    ['Actor email', shown(actor.email)],
    [
      'Credential',
      actor.credentialId ? (
        <>
          {actor.credentialName ?? <span className="muted">no name</span>} <code>{actor.credentialId}</code>
        </>
      ) : (
        none
      ),
    ],
    [
      'Target',
      target ? (
        <>
          <code>{target.kind}</code> {target.label} <code>{target.id}</code>
        </>
      ) : (
        none
      ),
    ],
    ['IP address', event.ip ? <code>{event.ip}</code> : none],
    ['User agent', shown(event.userAgent)],
    ['Request id', event.requestId ? <code>{event.requestId}</code> : none],
    ['Duration', event.durationMs === null ? none : `${event.durationMs} ms`],
    ['Details', <pre className="audit-details">{JSON.stringify(event.details, null, 2)}</pre>],
  ];
  return (
    <dl className="facts audit-fields">
      {rows.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
