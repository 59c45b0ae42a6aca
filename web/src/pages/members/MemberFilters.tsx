import type { RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role } from '@mreg/shared';
import { Field } from '../../components/Field';
import { ROLE_OPTIONS } from '../../roles';
import type { MemberFilter } from './filters';

/** Search by name or email, and narrow by role and state: the admin's list follows as they type. */
export function MemberFilters({
  filter,
  onChange,
  searchRef,
}: {
  filter: MemberFilter;
  onChange: (filter: MemberFilter) => void;
  searchRef: RefObject<HTMLInputElement | null>;
}) {
  const { t } = useTranslation('members');
  return (
    <div className="member-filters" role="search" aria-label={t('filters.label')}>
      <Field label={t('filters.search')}>
        <input
          ref={searchRef}
          type="search"
          name="member-search"
          autoComplete="off"
          spellCheck={false}
          placeholder={t('filters.searchPlaceholder')}
          value={filter.query}
          onChange={(event) => onChange({ ...filter, query: event.target.value })}
        />
      </Field>
      <Field label={t('filters.role')}>
        <select name="member-role" value={filter.role} onChange={(event) => onChange({ ...filter, role: event.target.value as Role | 'all' })}>
          <option value="all">{t('filters.allRoles')}</option>
          {ROLE_OPTIONS.map((role) => (
            <option key={role} value={role}>
              {t(`roles.${role}`)}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('filters.status')}>
        <select
          name="member-status"
          value={filter.status}
          onChange={(event) => onChange({ ...filter, status: event.target.value as MemberFilter['status'] })}
        >
          <option value="all">{t('filters.anyStatus')}</option>
          <option value="active">{t('table.active')}</option>
          <option value="deactivated">{t('table.deactivated')}</option>
        </select>
      </Field>
    </div>
  );
}
