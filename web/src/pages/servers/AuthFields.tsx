import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ServerAuth } from '@mreg/shared';
import { Field } from '../../components/Field';
import { AUTH_KINDS, authKindLabel, keepsStoredSecret, type FormValues } from './formValues';
import type { Labels, Problems } from './problems';

interface AuthFieldsProps {
  values: FormValues;
  /** The credential saved on the server being edited (its kind and header name; never the secret). */
  stored: ServerAuth | null;
  problems: Problems;
  labels: Labels;
  change: (patch: Partial<FormValues>) => void;
}

/** How MREG signs in to the server: none, a bearer token, or one named header. The secret is write-only. */
export function AuthFields({ values, stored, problems, labels, change }: AuthFieldsProps) {
  const { t } = useTranslation('servers');
  const id = useId();
  const kindHint = {
    none: t('form.kindNoneHint'),
    bearer: t('form.kindBearerHint', { token: '<token>' }),
    header: t('form.kindHeaderHint'),
  };
  const storedSecret = stored !== null && stored.kind !== 'none';
  const keeps = keepsStoredSecret(values, stored);
  const secretHint = keeps
    ? t('form.secretKept')
    : storedSecret && values.authKind === 'header' && stored.kind === 'header'
      ? t('form.secretNewHeader')
      : t('form.secretStored');

  return (
    <fieldset className="server-auth">
      <legend>{t('form.authentication')}</legend>
      <div className="server-auth-kinds">
        {AUTH_KINDS.map((kind) => (
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
            <label htmlFor={`${id}-${kind}`}>{authKindLabel(kind)}</label>
            <span id={`${id}-${kind}-hint`} className="hint">
              {kindHint[kind]}
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
        <Field label={labels.headerName} error={problems.headerName} hint={t('form.headerNameHint')}>
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
