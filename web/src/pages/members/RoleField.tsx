import type { RefObject } from 'react';
import type { Role } from '@mreg/shared';
import { Field } from '../../components/Field';
import { ROLE_LABEL, ROLE_OPTIONS } from '../../roles';

/** The role a person is given, as the add-member and invite forms both ask it. */
export function RoleField({ value, onChange, error, selectRef }: { value: Role; onChange: (role: Role) => void; error?: string; selectRef: RefObject<HTMLSelectElement | null> }) {
  return (
    <Field label="Role" error={error}>
      <select ref={selectRef} name="role" value={value} onChange={(event) => onChange(event.target.value as Role)}>
        {ROLE_OPTIONS.map((option) => (
          <option key={option} value={option}>
            {ROLE_LABEL[option]}
          </option>
        ))}
      </select>
    </Field>
  );
}
