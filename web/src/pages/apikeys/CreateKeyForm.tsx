import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';
import { API_KEY_NAME_MAX_LENGTH, ZCreateApiKeyInput, type ApiKeyCreated } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { fieldErrors, useTRPC } from '../../trpc';
import { createKeyInput, DEFAULT_EXPIRY, EXPIRY_CHOICES, type ExpiryChoice } from './expiry';

type Errors = { name?: string; expiresInDays?: string };
const LABELS = { name: 'Name', expiresInDays: 'Expires' } as const;

/** The shared schema's messages (or the server's field errors), one per field, label first. */
function errorsOf(byField: Record<string, string[] | undefined>): Errors {
  const errors: Errors = {};
  for (const key of ['name', 'expiresInDays'] as const) {
    const first = byField[key]?.[0];
    if (first) errors[key] = `${LABELS[key]} ${first}`;
  }
  return errors;
}

/** Makes a key (apiKeys.create), checked with the shared schema first; the secret goes to `onCreated`, once. */
export function CreateKeyForm({ tenantName, onStart, onCreated }: { tenantName: string; onStart: () => void; onCreated: (created: ApiKeyCreated) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.apiKeys.create.mutationOptions());
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState<ExpiryChoice>(DEFAULT_EXPIRY);
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<unknown>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const expirySelect = useRef<HTMLSelectElement>(null);
  const headingId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    onStart();
    setGeneral(null);
    const parsed = ZCreateApiKeyInput.safeParse(createKeyInput(name, expiry));
    if (!parsed.success) {
      // The same shape as the server's field errors (its error formatter flattens them so too).
      const found = errorsOf(z.flattenError(parsed.error).fieldErrors);
      setErrors(found);
      (found.name ? nameInput : expirySelect).current?.focus();
      return;
    }
    setErrors({});
    try {
      const created = await create.mutateAsync(parsed.data);
      setName('');
      setExpiry(DEFAULT_EXPIRY);
      onCreated(created);
    } catch (error) {
      // What was typed stays, to be corrected; a refusal of no field (too many keys) goes to the banner.
      const placed = errorsOf(fieldErrors(error));
      setErrors(placed);
      setGeneral(placed.name || placed.expiresInDays ? null : error);
      if (placed.name) nameInput.current?.focus();
    }
  };

  return (
    <form className="card create-key" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={headingId}>
      <h2 id={headingId}>Create a key</h2>
      <div className="create-key-fields">
        <Field label="Name" error={errors.name} hint={`What uses it, such as "Claude on my laptop" or "nightly report"; at most ${API_KEY_NAME_MAX_LENGTH} characters.`}>
          <input ref={nameInput} type="text" name="name" autoComplete="off" value={name} onChange={(event) => setName(event.target.value)} />
        </Field>
        <Field label="Expires" error={errors.expiresInDays} hint={`"Never": until you revoke it or leave ${tenantName}.`}>
          <select ref={expirySelect} name="expiry" value={expiry} onChange={(event) => setExpiry(event.target.value as ExpiryChoice)}>
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.value === 'never' ? choice.label : `In ${choice.label}`}
              </option>
            ))}
          </select>
        </Field>
        <div className="create-key-submit">
          <button type="submit" className="primary" aria-disabled={create.isPending} aria-busy={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </div>
      {general !== null && <LoadError what="The key was not created" error={general} />}
    </form>
  );
}
