import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ZAddMemberInput, type Role, type TenantMember } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { useTRPC } from '../../trpc';
import { checkedFields, placeError, type PersonFormErrors } from './placeError';
import { RoleField } from './RoleField';

/**
 * Adds someone MREG already knows (they have signed in once) and the active tenant may know (tenants.addMember) to it;
 * anyone else is invited (InviteForm).
 */
export function AddMemberForm({ onStart, onAdded }: { onStart: () => void; onAdded: (member: TenantMember) => void }) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const add = useMutation(trpc.tenants.addMember.mutationOptions());
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<PersonFormErrors>({});
  const [general, setGeneral] = useState<unknown>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const roleSelect = useRef<HTMLSelectElement>(null);
  const headingId = useId();
  const labels = { email: t('form.email'), role: t('form.role') };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onStart();
    setGeneral(null);
    const parsed = ZAddMemberInput.safeParse({ email, role });
    if (!parsed.success) {
      // The same shape as the server's field errors (its error formatter flattens them so too).
      const found = checkedFields(parsed.error, labels);
      setErrors(found);
      (found.email ? emailInput : roleSelect).current?.focus();
      return;
    }
    setErrors({});
    try {
      const member = await add.mutateAsync(parsed.data);
      setEmail('');
      onAdded(member);
    } catch (error) {
      // The input stays as typed, so that a typo can be corrected rather than retyped.
      const placed = placeError(error, labels);
      setErrors(placed.fields);
      setGeneral(placed.general);
      if (placed.fields.email) emailInput.current?.focus();
      else if (placed.fields.role) roleSelect.current?.focus();
    }
  };

  return (
    <form className="card add-member" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={headingId}>
      <h2 id={headingId}>{t('add.heading')}</h2>
      <div className="add-member-fields">
        <Field label={t('form.email')} error={errors.email} hint={t('add.hint')}>
          <input
            ref={emailInput}
            type="email"
            name="email"
            autoComplete="off"
            spellCheck={false}
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
            }}
          />
        </Field>
        <RoleField value={role} onChange={setRole} error={errors.role} selectRef={roleSelect} />
        <div className="add-member-submit">
          <button type="submit" className="primary" disabled={add.isPending} aria-busy={add.isPending}>
            {add.isPending ? t('add.working') : t('add.submit')}
          </button>
        </div>
      </div>
      {general !== null && <LoadError what={t('add.failed')} error={general} />}
    </form>
  );
}
