import {
  ZCreateServerInput,
  ZTestServerInput,
  ZUpdateServerInput,
  type CreateServerInput,
  type Server,
  type ServerAuth,
  type ServerAuthInput,
  type TestServerInput,
  type UpdateServerInput,
} from '@mreg/shared';
import { i18n } from '../../i18n';
import { schemaProblems, type Labels, type Problems } from './problems';

/** The server form's values as typed, and what they become: the inputs of registry.create, .update and .test. */

export type AuthKind = ServerAuth['kind'];

export interface FormValues {
  name: string;
  slug: string;
  url: string;
  description: string;
  enabled: boolean;
  authKind: AuthKind;
  headerName: string;
  /** The token or header value typed; empty keeps a stored one of the same kind. */
  secret: string;
}

const t = i18n.getFixedT(null, 'servers');

export const AUTH_KINDS: AuthKind[] = ['none', 'bearer', 'header'];

/** The choice's words, in the app's language at the time of the call. */
export function authKindLabel(kind: AuthKind): string {
  return t(kind === 'none' ? 'form.kindNone' : kind === 'bearer' ? 'form.kindBearer' : 'form.kindHeader');
}

export function initialValues(server: Server | null): FormValues {
  return {
    name: server?.name ?? '',
    slug: server?.slug ?? '',
    url: server?.url ?? '',
    description: server?.description ?? '',
    enabled: server?.enabled ?? true,
    authKind: server?.auth.kind ?? 'none',
    headerName: server?.auth.kind === 'header' ? server.auth.name : '',
    secret: '',
  };
}

/** Each field's label, which its problems start with ("Slug must be ..."), in the app's language. */
export function labelsFor(values: FormValues): Labels {
  return {
    name: t('form.name'),
    slug: t('form.slug'),
    url: t('form.url'),
    description: t('form.description'),
    enabled: t('form.enabled'),
    authKind: t('form.authentication'),
    headerName: t('form.headerName'),
    secret: values.authKind === 'header' ? t('form.headerValue') : t('form.token'),
  };
}

/**
 * True when the stored secret stands in for an empty secret field: editing, the same kind (and, for
 * a header, the same name, since a new name replaces the credential whole).
 */
export function keepsStoredSecret(values: FormValues, stored: ServerAuth | null): boolean {
  if (values.secret !== '' || !stored) return false;
  if (values.authKind === 'bearer') return stored.kind === 'bearer';
  if (values.authKind === 'header') return stored.kind === 'header' && stored.name === values.headerName.trim();
  return false;
}

/** The credential to send; undefined sends none, which keeps the stored one. */
export function authToSend(values: FormValues, stored: ServerAuth | null): ServerAuthInput | undefined {
  if (values.authKind === 'none') return stored?.kind === 'none' ? undefined : { kind: 'none' };
  if (keepsStoredSecret(values, stored)) return undefined;
  // An empty secret goes to the schema as it is, which says it must not be empty.
  return values.authKind === 'bearer'
    ? { kind: 'bearer', token: values.secret }
    : { kind: 'header', name: values.headerName.trim(), value: values.secret };
}

export function createInput(values: FormValues): CreateServerInput {
  return {
    name: values.name,
    slug: values.slug,
    url: values.url.trim(),
    ...(values.description.trim() !== '' && { description: values.description }),
    enabled: values.enabled,
    auth: authToSend(values, null),
  };
}

/** Only what changed: a changed URL or credential has the server discovered again, other fields do not. */
export function updateInput(values: FormValues, server: Server): UpdateServerInput {
  const auth = authToSend(values, server.auth);
  return {
    id: server.id,
    ...(values.name !== server.name && { name: values.name }),
    ...(values.slug !== server.slug && { slug: values.slug }),
    ...(values.url.trim() !== server.url && { url: values.url.trim() }),
    ...(values.description !== (server.description ?? '') && { description: values.description }),
    ...(values.enabled !== server.enabled && { enabled: values.enabled }),
    ...(auth && { auth }),
  };
}

export function testInput(values: FormValues, server: Server | null): TestServerInput {
  const auth = authToSend(values, server?.auth ?? null);
  // With the id, the server uses the stored credential when none is sent.
  return { url: values.url.trim(), ...(auth && { auth }), ...(server && { id: server.id }) };
}

// An empty URL is checked as a missing one, which the schema calls required rather than "not a URL".
const urlOrMissing = <T extends { url: string }>(input: T) => ({ ...input, url: input.url === '' ? undefined : input.url });

export const saveProblems = (values: FormValues, server: Server | null): Problems =>
  server
    ? schemaProblems(ZUpdateServerInput.safeParse(updateInput(values, server)), labelsFor(values))
    : schemaProblems(ZCreateServerInput.safeParse(urlOrMissing(createInput(values))), labelsFor(values));

export const testProblems = (values: FormValues, server: Server | null): Problems =>
  schemaProblems(ZTestServerInput.safeParse(urlOrMissing(testInput(values, server))), labelsFor(values));
