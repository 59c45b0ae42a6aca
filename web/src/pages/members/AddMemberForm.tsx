import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';
import { ZAddMemberInput, type Role, type TenantMember } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { useTRPC } from '../../trpc';
import { fieldsOf, placeError, type PersonFormErrors } from './placeError';
import { RoleField } from './RoleField';

const LABELS = { email: 'Email', role: 'Role' } as const;

/**
 * Adds someone MREG already knows (they have signed in once) and the active tenant may know (tenants.addMember) to it;
 * anyone else is invited (InviteForm).
 */
export function AddMemberForm({ onStart, onAdded }: { onStart: () => void; onAdded: (member: TenantMember) => void }) {
  const trpc = useTRPC();
  const add = useMutation(trpc.tenants.addMember.mutationOptions());
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<PersonFormErrors>({});
  const [general, setGeneral] = useState<unknown>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const roleSelect = useRef<HTMLSelectElement>(null);
  const headingId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onStart();
    setGeneral(null);
    const parsed = ZAddMemberInput.safeParse({ email, role });
    if (!parsed.success) {
      // The same shape as the server's field errors (its error formatter flattens them so too).
      const found = fieldsOf(z.flattenError(parsed.error).fieldErrors, LABELS);
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
      const placed = placeError(error, LABELS);
      setErrors(placed.fields);
      setGeneral(placed.general);
      if (placed.fields.email) emailInput.current?.focus();
      else if (placed.fields.role) roleSelect.current?.focus();
    }
  };

  return (
    <form className="card add-member" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={headingId}>
      <h2 id={headingId}>Add a member</h2>
      <div className="add-member-fields">
        <Field
          label="Email"
          error={errors.email}
          hint="For people MREG knows already: someone of this tenant's organisation, a member of another of your tenants, or a deactivated member here. Someone who has never signed in to MREG is invited instead (Invite someone, above)."
        >
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
            {add.isPending ? 'Adding…' : 'Add member'}
          </button>
        </div>
      </div>
      {general !== null && <LoadError what="The member could not be added" error={general} />}
    </form>
  );
}
