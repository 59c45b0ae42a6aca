import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { ZAddMemberInput, type Role, type TenantMember } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { ROLE_LABEL, ROLE_OPTIONS } from '../../roles';
import { errorMessage, errorReason, fieldErrors, useTRPC } from '../../trpc';

type Errors = { email?: string; role?: string };
const LABELS = { email: 'Email', role: 'Role' } as const;

/** Sorts a failed add into the field it is about; what belongs to no field goes to the form's banner. */
function placeError(error: unknown): { fields: Errors; general: unknown } {
  const byField = fieldErrors(error);
  const fields: Errors = {};
  for (const key of ['email', 'role'] as const) {
    const first = byField[key]?.[0];
    if (first) fields[key] = `${LABELS[key]} ${first}`;
  }
  if (fields.email || fields.role) return { fields, general: null };
  switch (errorReason(error)) {
    // An unknown email, someone already a member, or an email two people share: all about the email.
    case 'unknown_email':
    case 'already_member':
    case 'ambiguous_email':
      return { fields: { email: errorMessage(error) }, general: null };
    // A role above one's own; other refusals (one's own rights gone meanwhile) are not about the field.
    case 'beyond_own_rights':
      return { fields: { role: errorMessage(error) }, general: null };
    default:
      return { fields: {}, general: error };
  }
}

/** Adds someone MREG already knows (they have signed in once) and the active tenant may know (tenants.addMember) to it. */
export function AddMemberForm({ onStart, onAdded }: { onStart: () => void; onAdded: (member: TenantMember) => void }) {
  const trpc = useTRPC();
  const add = useMutation(trpc.tenants.addMember.mutationOptions());
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<Errors>({});
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
      const found: Errors = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0];
        if ((key === 'email' || key === 'role') && !found[key]) found[key] = `${LABELS[key]} ${issue.message}`;
      }
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
      const placed = placeError(error);
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
          hint="Someone of this tenant's organisation, a member of another of your tenants, or a deactivated member here; they must have signed in to MREG once (the development provider's demo people are known from the start)."
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
        <Field label="Role" error={errors.role}>
          <select ref={roleSelect} name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLE_OPTIONS.map((option) => (
              <option key={option} value={option}>
                {ROLE_LABEL[option]}
              </option>
            ))}
          </select>
        </Field>
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
