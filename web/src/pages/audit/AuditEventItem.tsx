import { Fragment, type ReactNode } from 'react';
import type { AuditEvent } from '@mreg/shared';
import { useTranslation } from 'react-i18next';
import { useFormatters, useLanguage } from '../../prefs/usePreferences';
import { eventSentence, eventVia, outcomeLabel } from './words';

/** Turns as the event opens (Audit.css): a sign, not a word. */
const CHEVRON = '▸';

/** A symbol beside the word: colour only adds to it. */
const OUTCOME_SYMBOL: Record<AuditEvent['outcome'], string> = { success: '✓', failure: '✕', refused: '⊘', error: '!', cancelled: '–', timeout: '⏱' };

/** One event: a sentence, how it ended and when; opened, every field as recorded. */
export function AuditEventItem({ event, tenantName }: { event: AuditEvent; tenantName: string }) {
  const format = useFormatters();
  const { locale } = useLanguage();
  const via = eventVia(event);
  const failed = event.outcome !== 'success';
  return (
    <li className={failed ? `audit-event audit-event-${event.outcome === 'cancelled' ? 'cancelled' : 'failed'}` : 'audit-event'}>
      <details>
        <summary>
          <span className="audit-chevron" aria-hidden="true">
            {CHEVRON}
          </span>
          <span className="audit-summary">
            <span className="audit-sentence">
              {eventSentence(event, tenantName, locale)}
              {via && <span className="audit-via"> {via}</span>}
            </span>
            {failed && (
              <span className={`badge audit-outcome audit-outcome-${event.outcome}`}>
                <span aria-hidden="true">{OUTCOME_SYMBOL[event.outcome]}</span> {outcomeLabel(event.outcome)}
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
  const { t } = useTranslation('audit');
  const { locale } = useLanguage();
  const format = useFormatters();
  const { actor, target } = event;
  const rows: [string, ReactNode][] = [
    [t('fields.id'), <code>{event.id}</code>],
    // Raw as the log keeps them (and the export has them), with the person's words beside.
    [
      t('fields.at'),
      <>
        {format.dateTime(event.at)} <code>{event.at}</code>
      </>,
    ],
    [t('fields.action'), <code>{event.action}</code>],
    [
      t('fields.outcome'),
      <>
        {outcomeLabel(event.outcome)} <code>{event.outcome}</code>
      </>,
    ],
    [t('fields.reason'), event.reason ? <code>{event.reason}</code> : none],
    [t('fields.actorKind'), <code>{actor.kind}</code>],
    [t('fields.actorId'), actor.userId ? <code>{actor.userId}</code> : none],
    [t('fields.actorName'), shown(actor.name)],
    [t('fields.actorEmail'), shown(actor.email)],
    [
      t('fields.credential'),
      actor.credentialId ? (
        <>
          {actor.credentialName ?? <span className="muted">{t('fields.noName')}</span>} <code>{actor.credentialId}</code>
        </>
      ) : (
        none
      ),
    ],
    [
      t('fields.target'),
      target ? (
        <>
          <code>{target.kind}</code> {target.label} <code>{target.id}</code>
        </>
      ) : (
        none
      ),
    ],
    [t('fields.ip'), event.ip ? <code>{event.ip}</code> : none],
    [t('fields.userAgent'), shown(event.userAgent)],
    [t('fields.requestId'), event.requestId ? <code>{event.requestId}</code> : none],
    [t('fields.duration'), event.durationMs === null ? none : t('fields.durationMs', { ms: event.durationMs, locale })],
    [t('fields.details'), <pre className="audit-details">{JSON.stringify(event.details, null, 2)}</pre>],
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
