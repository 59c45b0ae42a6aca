import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, textLength, ZUpdateProfileInput, type Profile, type UpdateProfileInput } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { useUnsavedChanges } from '../../components/useUnsavedChanges';
import { i18n } from '../../i18n';
import { fieldMessage } from '../../i18n/validation';
import { fieldErrors } from '../../trpc';

type FieldName = 'displayName' | 'bio';
type Values = Record<FieldName, string>;
type Problems = Partial<Record<FieldName, string>>;

const FIELDS: FieldName[] = ['displayName', 'bio'];

// The schema's messages name no field ("is longer than 255 characters"); the label comes first.
const sentence = (field: FieldName, message: string) => `${i18n.t(`profile:about.${field}`)} ${message}`;

/** The shared schema's verdict on the form, one message per field: the same rules the server applies. */
function validate(values: Values): Problems {
  const result = ZUpdateProfileInput.safeParse(values);
  if (result.success) return {};
  const problems: Problems = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0];
    if ((field === 'displayName' || field === 'bio') && !problems[field]) problems[field] = sentence(field, fieldMessage(issue.message));
  }
  return problems;
}

/** The server's field errors for this form's fields; anything else it says belongs in the banner. */
function serverProblems(error: unknown): Problems {
  const byField = fieldErrors(error);
  const problems: Problems = {};
  for (const field of FIELDS) {
    const message = byField[field]?.[0];
    if (message) problems[field] = sentence(field, message);
  }
  return problems;
}

function Counter({ text, max }: { text: string; max: number }) {
  // As the schema counts: code points of the normalised (NFKC), trimmed text.
  const used = textLength(text);
  return (
    <span className={used > max ? 'profile-counter profile-counter-over' : 'profile-counter'}>
      {used} / {max}
    </span>
  );
}

/**
 * Display name and bio. What is typed is kept apart from what is saved, so a failure loses nothing
 * and a save shows the server's version (trimmed, emptied to null) at once.
 */
export function DetailsForm({ profile, signInName }: { profile: Profile | null; signInName: string }) {
  const auth = useEnhancedAuth();
  const headingId = useId();
  const { t } = useTranslation('profile');
  const [draft, setDraft] = useState<Partial<Values>>({});
  const [submitted, setSubmitted] = useState(false);
  const [fromServer, setFromServer] = useState<Problems>({});
  const save = useMutation({ mutationFn: (input: UpdateProfileInput) => auth.updateProfile(input) });
  const nameInput = useRef<HTMLInputElement>(null);
  const bioInput = useRef<HTMLTextAreaElement>(null);
  const focus = (field: FieldName | undefined) => (field === 'displayName' ? nameInput : field === 'bio' ? bioInput : null)?.current?.focus();

  const values: Values = {
    displayName: draft.displayName ?? profile?.displayName ?? '',
    bio: draft.bio ?? profile?.bio ?? '',
  };
  // Silent until the first attempt to save, then kept current as the person corrects the text.
  const local = submitted ? validate(values) : {};
  const problems: Problems = { displayName: local.displayName ?? fromServer.displayName, bio: local.bio ?? fromServer.bio };
  const serverSaidWhy = Object.keys(serverProblems(save.error)).length > 0;
  const edited = Object.keys(draft).length > 0;
  useUnsavedChanges(values.displayName !== (profile?.displayName ?? '') || values.bio !== (profile?.bio ?? ''));

  const change = (field: FieldName, value: string) => {
    setDraft((current) => ({ ...current, [field]: value }));
    setFromServer((current) => ({ ...current, [field]: undefined }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    const found = validate(values);
    const first = FIELDS.find((field) => found[field]);
    if (first) {
      focus(first);
      return;
    }
    save.mutate(values, {
      onSuccess: () => {
        setDraft({});
        setFromServer({});
      },
      onError: (error) => {
        const byField = serverProblems(error);
        setFromServer(byField);
        focus(FIELDS.find((field) => byField[field]));
      },
    });
  };

  return (
    <section className="card profile-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('about.heading')}</h2>
      {save.isError && !serverSaidWhy && <LoadError what={t('about.notSaved')} error={save.error} />}
      <form className="form" noValidate onSubmit={submit}>
        <Field
          label={t('about.displayName')}
          error={problems.displayName}
          hint={
            <span className="profile-hint-row">
              <span>{t('about.displayNameHint', { name: signInName })}</span>
              <Counter text={values.displayName} max={DISPLAY_NAME_MAX_LENGTH} />
            </span>
          }
        >
          <input
            ref={nameInput}
            type="text"
            name="displayName"
            autoComplete="nickname"
            value={values.displayName}
            onChange={(event) => change('displayName', event.target.value)}
          />
        </Field>
        <Field
          label={t('about.bio')}
          error={problems.bio}
          hint={
            <span className="profile-hint-row">
              <span>{t('about.bioHint')}</span>
              <Counter text={values.bio} max={BIO_MAX_LENGTH} />
            </span>
          }
        >
          <textarea ref={bioInput} name="bio" rows={5} value={values.bio} onChange={(event) => change('bio', event.target.value)} />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending} aria-busy={save.isPending}>
            {save.isPending ? t('about.saving') : t('about.save')}
          </button>
          <p role="status" className="profile-status">
            {save.isSuccess && !edited ? t('about.saved') : ''}
          </p>
        </div>
      </form>
    </section>
  );
}
