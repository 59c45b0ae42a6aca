import type { ChangeEvent } from 'react';
import type { AuditAction } from '@mreg/shared';
import { useTranslation } from 'react-i18next';
import { Field } from '../../components/Field';
import { hasFilters, NO_FILTERS, type AuditFilters } from './filters';
import type { Person } from './people';
import { ACTION_GROUPS, actionLabel, groupLabel } from './words';

interface AuditFilterFormProps {
  filters: AuditFilters;
  onChange: (next: AuditFilters) => void;
  people: Person[];
  /** True when the people are the tenant's members; else those seen in the events so far. */
  fromMembers: boolean;
  /** Why the dates cannot be used, beside the last day. */
  rangeProblem: string | null;
  timeZone: string | null;
}

/** Action, person and days: each applies as it changes (the address keeps them). */
export function AuditFilterForm({ filters, onChange, people, fromMembers, rangeProblem, timeZone }: AuditFilterFormProps) {
  const { t } = useTranslation('audit');
  const set = (key: keyof AuditFilters) => (event: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => onChange({ ...filters, [key]: event.target.value || null });
  return (
    <form className="audit-filters card" role="search" aria-label={t('filters.label')} onSubmit={(event) => event.preventDefault()}>
      <Field label={t('filters.action')}>
        <select value={filters.action ?? ''} onChange={(event) => onChange({ ...filters, action: (event.target.value || null) as AuditAction | null })}>
          <option value="">{t('filters.allActions')}</option>
          {ACTION_GROUPS.map((group) => (
            <optgroup key={group.group} label={groupLabel(group.group)}>
              {group.actions.map((action) => (
                <option key={action} value={action}>
                  {actionLabel(action)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </Field>
      <Field label={t('filters.person')} hint={fromMembers ? t('filters.personHintMembers') : t('filters.personHintSeen')}>
        <select value={filters.person ?? ''} onChange={set('person')}>
          <option value="">{t('filters.everyone')}</option>
          {people.map((person) => (
            <option key={person.userId} value={person.userId}>
              {person.email && person.email !== person.name ? `${person.name} (${person.email})` : person.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('filters.from')} hint={timeZone ? t('filters.fromHint', { zone: timeZone }) : undefined}>
        <input type="date" value={filters.from ?? ''} max={filters.to ?? undefined} onChange={set('from')} />
      </Field>
      <Field label={t('filters.to')} error={rangeProblem ?? undefined}>
        <input type="date" value={filters.to ?? ''} min={filters.from ?? undefined} onChange={set('to')} />
      </Field>
      {hasFilters(filters) && (
        <div className="audit-filters-clear">
          <button type="button" onClick={() => onChange(NO_FILTERS)}>
            {t('clearFilters')}
          </button>
        </div>
      )}
    </form>
  );
}
