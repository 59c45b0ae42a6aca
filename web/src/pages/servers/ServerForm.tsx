import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { SERVER_DESCRIPTION_MAX_LENGTH, suggestSlug, type Server, type ServerSaved } from '@mreg/shared';
import { Field } from '../../components/Field';
import { LoadError } from '../../components/LoadError';
import { useTRPC } from '../../trpc';
import { AuthFields } from './AuthFields';
import type { ArrivalState } from './flash';
import { createInput, initialValues, labelsFor, saveProblems, testInput, testProblems, updateInput, type FormValues } from './formValues';
import { placeRefusal, type FormField, type Problems } from './problems';
import { TestConnection } from './TestConnection';

const FIELD_ORDER: FormField[] = ['name', 'slug', 'url', 'description', 'enabled', 'authKind', 'headerName', 'secret'];

/** The fields whose problems a change of each value makes out of date. */
const AFFECTS: Record<keyof FormValues, FormField[]> = {
  name: ['name', 'slug'],
  slug: ['slug'],
  url: ['url'],
  description: ['description'],
  enabled: ['enabled'],
  authKind: ['authKind', 'headerName', 'secret'],
  headerName: ['headerName', 'secret'],
  secret: ['secret'],
};

const first = (problems: Problems) => FIELD_ORDER.find((field) => problems[field]);

/**
 * Adds a server (`server` null) or edits one. The shared schemas check the form as the server will,
 * silently until the first try; the server's refusals go beside their fields. After a save, the
 * server's page says how discovery went.
 */
export function ServerForm({ server }: { server: Server | null }) {
  const { t } = useTranslation('servers');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const create = useMutation(trpc.registry.create.mutationOptions());
  const update = useMutation(trpc.registry.update.mutationOptions());
  const [values, setValues] = useState(() => initialValues(server));
  // A new server's slug follows its name until the person types one of their own.
  const [slugEdited, setSlugEdited] = useState(server !== null);
  // Which check the form has been through: silent until then, then kept current while typing.
  const [checking, setChecking] = useState<'save' | 'test' | null>(null);
  const [fromServer, setFromServer] = useState<Problems>({});
  const [general, setGeneral] = useState<unknown>(null);
  // Moves on with every change of the URL or credential: a test's result is about the values it tried.
  const [testRound, setTestRound] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const saving = create.isPending || update.isPending;
  const enabledId = useId();

  const labels = labelsFor(values);
  const local = checking === 'save' ? saveProblems(values, server) : checking === 'test' ? testProblems(values, server) : {};
  const problems: Problems = {};
  for (const field of FIELD_ORDER) {
    const message = local[field] ?? fromServer[field];
    if (message) problems[field] = message;
  }

  // Each control is named as its field; of the radios, the one chosen.
  const focus = (field: FormField | undefined) =>
    field && form.current?.querySelector<HTMLElement>(field === 'authKind' ? '[name="authKind"]:checked' : `[name="${field}"]`)?.focus();

  const change = (patch: Partial<FormValues>) => {
    if (['url', 'authKind', 'headerName', 'secret'].some((key) => key in patch)) setTestRound((round) => round + 1);
    setValues((current) => {
      const next = { ...current, ...patch };
      if (patch.name !== undefined && !slugEdited) next.slug = suggestSlug(patch.name);
      return next;
    });
    setFromServer((current) => {
      const stale = new Set(Object.keys(patch).flatMap((key) => AFFECTS[key as keyof FormValues]));
      return Object.fromEntries(Object.entries(current).filter(([field]) => !stale.has(field as FormField)));
    });
  };

  const afterSave = (saved: ServerSaved, discovered: boolean) => {
    void queryClient.invalidateQueries(trpc.registry.pathFilter());
    const state: ArrivalState = { saved: { kind: server ? 'updated' : 'created', name: saved.server.name, discovery: saved.discovery, discovered } };
    navigate(`/servers/${saved.server.id}`, { state });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecking('save');
    setGeneral(null);
    const found = saveProblems(values, server);
    if (first(found)) {
      focus(first(found));
      return;
    }
    try {
      if (!server) return afterSave(await create.mutateAsync(createInput(values)), true);
      const input = updateInput(values, server);
      if (Object.keys(input).length === 1) {
        const state: ArrivalState = { saved: { kind: 'unchanged', name: server.name } };
        return navigate(`/servers/${server.id}`, { state });
      }
      // As the server decides: a new URL or credential, or enabling it, has it discovered again.
      afterSave(await update.mutateAsync(input), input.url !== undefined || input.auth !== undefined || (input.enabled === true && !server.enabled));
    } catch (error) {
      // What was typed stays, to be corrected rather than typed again.
      const placed = placeRefusal(error, labels);
      setFromServer(placed.fields);
      setGeneral(placed.general);
      focus(first(placed.fields));
    }
  };

  const prepareTest = () => {
    setChecking((current) => current ?? 'test');
    const found = testProblems(values, server);
    if (first(found)) {
      focus(first(found));
      return null;
    }
    return testInput(values, server);
  };

  return (
    <form
      ref={form}
      className="card form server-form"
      noValidate
      onSubmit={(event) => void submit(event)}
      aria-label={server ? t('form.editLabel', { name: server.name }) : t('form.addLabel')}
    >
      {general !== null && <LoadError what={server ? t('form.notSaved') : t('form.notAdded')} error={general} />}
      <Field label={labels.name} error={problems.name} hint={t('form.nameHint')}>
        <input type="text" name="name" autoComplete="off" value={values.name} onChange={(event) => change({ name: event.target.value })} />
      </Field>
      <Field
        label={labels.slug}
        error={problems.slug}
        hint={
          <>
            <Trans t={t} i18nKey="form.slugHint" values={{ slug: values.slug || t('form.slugExample') }} components={{ code: <code /> }} />
            {!slugEdited && ` ${t('form.slugSuggested')}`}
          </>
        }
      >
        <input
          type="text"
          name="slug"
          autoComplete="off"
          spellCheck={false}
          value={values.slug}
          onChange={(event) => {
            setSlugEdited(true);
            change({ slug: event.target.value });
          }}
        />
      </Field>
      <Field label={labels.url} error={problems.url} hint={t('form.urlHint')}>
        <input
          type="url"
          name="url"
          autoComplete="off"
          spellCheck={false}
          inputMode="url"
          value={values.url}
          onChange={(event) => change({ url: event.target.value })}
        />
      </Field>
      <Field label={labels.description} error={problems.description} hint={t('form.descriptionHint', { max: SERVER_DESCRIPTION_MAX_LENGTH })}>
        <textarea name="description" rows={3} value={values.description} onChange={(event) => change({ description: event.target.value })} />
      </Field>
      <div className="server-check">
        <input
          id={enabledId}
          type="checkbox"
          name="enabled"
          checked={values.enabled}
          aria-describedby={`${enabledId}-hint`}
          onChange={(event) => change({ enabled: event.target.checked })}
        />
        <label htmlFor={enabledId}>{labels.enabled}</label>
        <p id={`${enabledId}-hint`} className="hint">
          {t('form.enabledHint')}
        </p>
        {problems.enabled && (
          <p className="field-error" role="alert">
            {problems.enabled}
          </p>
        )}
      </div>

      <AuthFields values={values} stored={server?.auth ?? null} problems={problems} labels={labels} change={change} />

      <TestConnection
        // A new URL or credential is another test: the last one's result goes.
        key={testRound}
        prepare={prepareTest}
        labels={labels}
        onRefused={(refused) => {
          setFromServer(refused);
          focus(first(refused));
        }}
      />

      <div className="actions">
        <button type="submit" className="primary" disabled={saving} aria-busy={saving}>
          {saving ? t('form.saving') : server ? t('form.save') : t('form.add')}
        </button>
        <Link href={server ? `/servers/${server.id}` : '/servers'} className="button">
          {t('cancel')}
        </Link>
        {saving && <span className="muted">{t('form.savingNote')}</span>}
      </div>
    </form>
  );
}
