import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { API_KEY_NAME_MAX_LENGTH, ZCreateApiKeyInput, type ApiKeyCreated } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { fieldMessage } from '../../i18n/validation';
import { fieldErrors, useTRPC } from '../../trpc';
import { createKeyInput, DEFAULT_EXPIRY, EXPIRY_CHOICES, type ExpiryChoice } from './expiry';

type Errors = { name?: string; expiresInDays?: string };
type Labels = Record<keyof Errors, string>;

/**
 * The shared schema's messages (or the server's field errors), one per field, label first, in the
 * app's language (the server's come translated already; fieldMessage leaves those as they are).
 */
function errorsOf(byField: Record<string, string[] | undefined>, labels: Labels): Errors {
  const errors: Errors = {};
  for (const key of ['name', 'expiresInDays'] as const) {
    const first = byField[key]?.[0];
    if (first) errors[key] = `${labels[key]} ${fieldMessage(first)}`;
  }
  return errors;
}

/** Makes a key (apiKeys.create), checked with the shared schema first; the secret goes to `onCreated`, once. */
export function CreateKeyForm({ tenantName, onStart, onCreated }: { tenantName: string; onStart: () => void; onCreated: (created: ApiKeyCreated) => void }) {
  const { t } = useTranslation('apikeys');
  const labels: Labels = { name: t('create.name'), expiresInDays: t('create.expires') };
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
      const found = errorsOf(z.flattenError(parsed.error).fieldErrors, labels);
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
      const placed = errorsOf(fieldErrors(error), labels);
      setErrors(placed);
      setGeneral(placed.name || placed.expiresInDays ? null : error);
      if (placed.name) nameInput.current?.focus();
    }
  };

  return (
    <form className="card create-key" noValidate onSubmit={(event) => void submit(event)} aria-labelledby={headingId}>
      <h2 id={headingId}>{t('create.title')}</h2>
      <div className="create-key-fields">
        <Field label={labels.name} error={errors.name} hint={t('create.nameHint', { max: API_KEY_NAME_MAX_LENGTH })}>
          <input ref={nameInput} type="text" name="name" autoComplete="off" value={name} onChange={(event) => setName(event.target.value)} />
        </Field>
        <Field label={labels.expiresInDays} error={errors.expiresInDays} hint={t('create.expiresHint', { tenant: tenantName })}>
          <select ref={expirySelect} name="expiry" value={expiry} onChange={(event) => setExpiry(event.target.value as ExpiryChoice)}>
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {t(`create.choices.${choice.value}`)}
              </option>
            ))}
          </select>
        </Field>
        <div className="create-key-submit">
          <button type="submit" className="primary" aria-disabled={create.isPending} aria-busy={create.isPending}>
            {create.isPending ? t('create.creating') : t('create.submit')}
          </button>
        </div>
      </div>
      {general !== null && <LoadError what={t('create.failed')} error={general} />}
    </form>
  );
}
