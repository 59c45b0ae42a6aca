import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { ZInviteInput, type InvitationLink, type Role } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { useTRPC } from '../../trpc';
import { daysText, DEFAULT_EXPIRY_DAYS, EXPIRY_DAY_CHOICES } from './invitations';
import { fieldsOf, placeError, type PersonFormErrors } from './placeError';
import { RoleField } from './RoleField';

const LABELS = { email: 'Email', role: 'Role', expiresInDays: 'Link works for' } as const;

interface InviteFormProps {
  tenantName: string;
  /** Focus the email field when the form appears (after the last link was put away): ready for the next person. */
  focusEmail?: boolean;
  onStart: () => void;
  onInvited: (made: InvitationLink) => void;
}

/**
 * Invites anyone by email (tenants.invite), whether or not they have used MREG: the answer's link is
 * what the admin sends them. Checked with the shared schema first; the pending list reads again.
 */
export function InviteForm({ tenantName, focusEmail, onStart, onInvited }: InviteFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invite = useMutation(trpc.tenants.invite.mutationOptions());
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [days, setDays] = useState<number>(DEFAULT_EXPIRY_DAYS);
  const [errors, setErrors] = useState<PersonFormErrors>({});
  const [general, setGeneral] = useState<unknown>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const roleSelect = useRef<HTMLSelectElement>(null);
  const daysSelect = useRef<HTMLSelectElement>(null);
  const headingId = useId();

  useEffect(() => {
    if (focusEmail) emailInput.current?.focus();
  }, [focusEmail]);

  const focusFirst = (found: PersonFormErrors) => (found.email ? emailInput : found.role ? roleSelect : daysSelect).current?.focus();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invite.isPending) return;
    onStart();
    setGeneral(null);
    const parsed = ZInviteInput.safeParse({ email, role, expiresInDays: days });
    if (!parsed.success) {
      const found = fieldsOf(z.flattenError(parsed.error).fieldErrors, LABELS);
      setErrors(found);
      focusFirst(found);
      return;
    }
    setErrors({});
    try {
      const made = await invite.mutateAsync(parsed.data);
      void queryClient.invalidateQueries({ queryKey: trpc.tenants.invitations.queryKey() });
      onInvited(made);
    } catch (error) {
      // What was typed stays, to be corrected rather than retyped.
      const placed = placeError(error, LABELS);
      setErrors(placed.fields);
      setGeneral(placed.general);
      if (Object.keys(placed.fields).length > 0) focusFirst(placed.fields);
    }
  };

  return (
    <form className="card invite" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={headingId}>
      <h2 id={headingId}>Invite someone</h2>
      <p className="muted invite-lead">
        Anyone, whether or not they have used MREG: you get a link to send them, with which they sign in and join {tenantName}.
      </p>
      <div className="invite-fields">
        <Field label="Email" error={errors.email} hint="They must sign in with this address to accept.">
          <input
            ref={emailInput}
            type="email"
            name="email"
            autoComplete="off"
            spellCheck={false}
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </Field>
        <RoleField value={role} onChange={setRole} error={errors.role} selectRef={roleSelect} />
        <Field label="Link works for" error={errors.expiresInDays}>
          <select ref={daysSelect} name="expiresInDays" value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {EXPIRY_DAY_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {daysText(choice)}
              </option>
            ))}
          </select>
        </Field>
        <div className="invite-submit">
          <button type="submit" className="primary" aria-disabled={invite.isPending} aria-busy={invite.isPending}>
            {invite.isPending ? 'Creating…' : 'Create invitation link'}
          </button>
        </div>
      </div>
      {general !== null && <LoadError what="No invitation was made" error={general} />}
    </form>
  );
}
