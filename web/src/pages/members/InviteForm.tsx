import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { normalizeEmail, ZInviteInput, type InvitationLink, type Role } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { errorReason, useTRPC } from '../../trpc';
import { DEFAULT_EXPIRY_DAYS, EXPIRY_DAY_CHOICES } from './invitations';
import { checkedFields, placeError, type PersonFormErrors } from './placeError';
import { RoleField } from './RoleField';

interface InviteFormProps {
  tenantName: string;
  /** Focus the email field when the form appears (after the last link was put away): ready for the next person. */
  focusEmail?: boolean;
  onStart: () => void;
  /** A link was made: for a new invitation, or (`renewed`) a new one for the invitation the email had. */
  onInvited: (made: InvitationLink, renewed: boolean) => void;
}

/**
 * Invites anyone by email (tenants.invite), whether or not they have used MREG: the answer's link is
 * what the admin sends them. Checked with the shared schema first; the pending list reads again. An
 * email with an open invitation is refused (already_invited): its link is not replaced unasked, and
 * the refusal offers to resend that invitation with a new link right there.
 */
export function InviteForm({ tenantName, focusEmail, onStart, onInvited }: InviteFormProps) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invite = useMutation(trpc.tenants.invite.mutationOptions());
  const renew = useMutation(trpc.tenants.renewInvitation.mutationOptions());
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [days, setDays] = useState<number>(DEFAULT_EXPIRY_DAYS);
  const [errors, setErrors] = useState<PersonFormErrors>({});
  const [general, setGeneral] = useState<{ what: string; error: unknown } | null>(null);
  // The address (normalised) whose open invitation the server named: what Resend renews.
  const [invited, setInvited] = useState<string | null>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const roleSelect = useRef<HTMLSelectElement>(null);
  const daysSelect = useRef<HTMLSelectElement>(null);
  const headingId = useId();
  const labels = { email: t('form.email'), role: t('form.role'), expiresInDays: t('invite.expiry') };
  const busy = invite.isPending || renew.isPending;

  useEffect(() => {
    if (focusEmail) emailInput.current?.focus();
  }, [focusEmail]);

  const focusFirst = (found: PersonFormErrors) => (found.email ? emailInput : found.role ? roleSelect : daysSelect).current?.focus();
  const invitationsChanged = () => void queryClient.invalidateQueries({ queryKey: trpc.tenants.invitations.queryKey() });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    onStart();
    setGeneral(null);
    setInvited(null);
    const parsed = ZInviteInput.safeParse({ email, role, expiresInDays: days });
    if (!parsed.success) {
      const found = checkedFields(parsed.error, labels);
      setErrors(found);
      focusFirst(found);
      return;
    }
    setErrors({});
    try {
      const made = await invite.mutateAsync(parsed.data);
      invitationsChanged();
      onInvited(made, false);
    } catch (error) {
      // What was typed stays, to be corrected rather than retyped.
      const placed = placeError(error, labels);
      setErrors(placed.fields);
      setGeneral(placed.general === null ? null : { what: t('invite.failed'), error: placed.general });
      if (errorReason(error) === 'already_invited') setInvited(normalizeEmail(parsed.data.email));
      if (Object.keys(placed.fields).length > 0) focusFirst(placed.fields);
    }
  };

  const resend = async () => {
    if (busy || invited === null) return;
    setGeneral(null);
    const what = t('invite.resendFailed', { email: invited });
    try {
      // Read afresh: the list on the page may be older than the refusal.
      const open = (await queryClient.fetchQuery({ ...trpc.tenants.invitations.queryOptions(), staleTime: 0 })).find((item) => item.email === invited);
      if (!open) {
        setGeneral({ what, error: new Error(t('invite.resendGone')) });
        return;
      }
      const made = await renew.mutateAsync({ id: open.id });
      invitationsChanged();
      onInvited(made, true);
    } catch (error) {
      setGeneral({ what, error });
      invitationsChanged();
    }
  };

  return (
    <form className="card invite" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={headingId}>
      <h2 id={headingId}>{t('invite.heading')}</h2>
      <p className="muted invite-lead">{t('invite.lead', { tenant: tenantName })}</p>
      <div className="invite-fields">
        <div className="invite-email">
          <Field label={t('form.email')} error={errors.email} hint={t('invite.emailHint')}>
            <input
              ref={emailInput}
              type="email"
              name="email"
              autoComplete="off"
              spellCheck={false}
              value={email}
              onChange={(event) => {
                setEmail(event.target.value);
                setInvited(null);
              }}
            />
          </Field>
          {invited !== null && (
            <button type="button" className="invite-resend" aria-busy={renew.isPending} onClick={() => void resend()}>
              {renew.isPending ? t('invite.resending') : t('invite.resend')}
            </button>
          )}
        </div>
        <RoleField value={role} onChange={setRole} error={errors.role} selectRef={roleSelect} />
        <Field label={t('invite.expiry')} error={errors.expiresInDays}>
          <select ref={daysSelect} name="expiresInDays" value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {EXPIRY_DAY_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {t('invite.days', { count: choice })}
              </option>
            ))}
          </select>
        </Field>
        <div className="invite-submit">
          <button type="submit" className="primary" aria-disabled={busy} aria-busy={invite.isPending}>
            {invite.isPending ? t('invite.working') : t('invite.submit')}
          </button>
        </div>
      </div>
      {general !== null && <LoadError what={general.what} error={general.error} />}
    </form>
  );
}
