import type { RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role } from '@mreg/shared';
import { Field } from '../../components/Field';
import { ROLE_OPTIONS } from '../../roles';

/** The role a person is given, as the add-member and invite forms both ask it. */
export function RoleField({ value, onChange, error, selectRef }: { value: Role; onChange: (role: Role) => void; error?: string; selectRef: RefObject<HTMLSelectElement | null> }) {
  const { t } = useTranslation('members');
  return (
    <Field label={t('form.role')} error={error}>
      <select ref={selectRef} name="role" value={value} onChange={(event) => onChange(event.target.value as Role)}>
        {ROLE_OPTIONS.map((option) => (
          <option key={option} value={option}>
            {t(`roles.${option}`)}
          </option>
        ))}
      </select>
    </Field>
  );
}
