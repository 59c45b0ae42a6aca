import { useId } from 'react';
import type { ServerAuth } from '@mreg/shared';
import { Field } from '../../components/Field';
import { AUTH_KIND_LABEL, keepsStoredSecret, type AuthKind, type FormValues } from './formValues';
import type { Labels, Problems } from './problems';

interface AuthFieldsProps {
  values: FormValues;
  /** The credential saved on the server being edited (its kind and header name; never the secret). */
  stored: ServerAuth | null;
  problems: Problems;
  labels: Labels;
  change: (patch: Partial<FormValues>) => void;
}

const KINDS: AuthKind[] = ['none', 'bearer', 'header'];

const KIND_HINT: Record<AuthKind, string> = {
  none: 'The server needs no credential.',
  bearer: 'Sent as Authorization: Bearer <token>.',
  header: 'Sent as a header of your choosing, such as X-Api-Key.',
};

/** How MREG signs in to the server: none, a bearer token, or one named header. The secret is write-only. */
export function AuthFields({ values, stored, problems, labels, change }: AuthFieldsProps) {
  const id = useId();
  const storedSecret = stored !== null && stored.kind !== 'none';
  const keeps = keepsStoredSecret(values, stored);
  const secretHint = keeps
    ? 'Saved; enter a new value to replace it.'
    : storedSecret && values.authKind === 'header' && stored.kind === 'header'
      ? 'A new header name needs its value entered again. Stored encrypted, never shown again.'
      : 'Stored encrypted; MREG never shows it again.';

  return (
    <fieldset className="server-auth">
      <legend>Authentication</legend>
      <div className="server-auth-kinds">
        {KINDS.map((kind) => (
          <div key={kind} className="server-choice">
            <input
              id={`${id}-${kind}`}
              type="radio"
              name="authKind"
              value={kind}
              checked={values.authKind === kind}
              aria-describedby={`${id}-${kind}-hint`}
              onChange={() => change({ authKind: kind })}
            />
            <label htmlFor={`${id}-${kind}`}>{AUTH_KIND_LABEL[kind]}</label>
            <span id={`${id}-${kind}-hint`} className="hint">
              {KIND_HINT[kind]}
            </span>
          </div>
        ))}
      </div>
      {problems.authKind && (
        <p className="field-error" role="alert">
          {problems.authKind}
        </p>
      )}

      {values.authKind === 'header' && (
        <Field label="Header name" error={problems.headerName} hint="Letters, digits and -, such as X-Api-Key.">
          <input
            type="text"
            name="headerName"
            autoComplete="off"
            spellCheck={false}
            value={values.headerName}
            onChange={(event) => change({ headerName: event.target.value })}
          />
        </Field>
      )}
      {values.authKind !== 'none' && (
        <Field label={labels.secret} error={problems.secret} hint={secretHint}>
          <input
            type="password"
            name="secret"
            autoComplete="off"
            spellCheck={false}
            value={values.secret}
            onChange={(event) => change({ secret: event.target.value })}
          />
        </Field>
      )}
    </fieldset>
  );
}
