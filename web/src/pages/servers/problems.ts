import type { z } from 'zod';
import { i18n } from '../../i18n';
import { fieldMessage } from '../../i18n/validation';
import { errorCode, fieldErrors } from '../../trpc';

/** Where the server form says what is wrong: beside each field, or in its banner. */

export type FormField = 'name' | 'slug' | 'url' | 'description' | 'enabled' | 'authKind' | 'headerName' | 'secret';
export type Problems = Partial<Record<FormField, string>>;

/** The input's paths (a zod issue's, or the "path: ..." of a refusal's message) and the field each is about. */
const FIELD_OF_PATH: Record<string, FormField> = {
  name: 'name',
  slug: 'slug',
  url: 'url',
  description: 'description',
  enabled: 'enabled',
  auth: 'authKind',
  'auth.kind': 'authKind',
  'auth.name': 'headerName',
  'auth.token': 'secret',
  'auth.value': 'secret',
};

export type Labels = Record<FormField, string>;

/** The shared schema's verdict on what the form would send, one message per field, label first ("Slug must be ..."). */
export function schemaProblems(result: z.ZodSafeParseResult<unknown>, labels: Labels): Problems {
  if (result.success) return {};
  const problems: Problems = {};
  for (const issue of result.error.issues) {
    const field = FIELD_OF_PATH[issue.path.map(String).join('.')];
    if (field && !problems[field]) problems[field] = `${labels[field]} ${fieldMessage(issue.message)}`;
  }
  return problems;
}

const t = i18n.getFixedT(null, 'servers');

/**
 * The registry service's own sentences about a field, in the app's language: each known shape is
 * said again from its key with the same values; another stays as the server wrote it.
 */
export function serviceSentence(message: string): string {
  if (i18n.resolvedLanguage === 'en') return message;
  const taken = /^(?<slug>\S+) is already taken by another server in (?<tenant>.+); choose another$/s.exec(message);
  if (taken?.groups) return t('refusals.slugTaken', { slug: taken.groups.slug, tenant: taken.groups.tenant });
  const origin = /^(?<origin>\S+) is another origin than (?<stored>\S+); enter the credential again/.exec(message);
  if (origin?.groups) return t('refusals.otherOrigin', { origin: origin.groups.origin, stored: origin.groups.stored });
  return message;
}

/**
 * A refused save or test, sorted: the parts of the message that name a field ("url: ...", "slug:
 * ... is already taken") go beside it; anything else, or an error of another kind, is `general`.
 */
export function placeRefusal(error: unknown, labels: Labels): { fields: Problems; general: unknown } {
  const code = errorCode(error);
  if (code !== 'BAD_REQUEST' && code !== 'CONFLICT') return { fields: {}, general: error };
  const fromZod = Object.keys(fieldErrors(error)).length > 0;
  const fields: Problems = {};
  let unplaced = false;
  // Several fields' messages come joined by "; ", each starting with its path.
  for (const part of (error as Error).message.split(/; (?=[\w.]+: )/)) {
    const match = /^([\w.]+): (.+)$/s.exec(part);
    const field = match ? FIELD_OF_PATH[match[1]!] : undefined;
    if (!match || !field) {
      unplaced = true;
      continue;
    }
    // zod's messages continue the label ("Slug must be ..."); a service's are sentences of their own.
    fields[field] ??= fromZod ? `${labels[field]} ${fieldMessage(match[2]!)}` : `${labels[field]}: ${serviceSentence(match[2]!)}`;
  }
  if (Object.keys(fields).length === 0) {
    for (const [path, messages] of Object.entries(fieldErrors(error))) {
      const field = FIELD_OF_PATH[path];
      if (field && messages[0]) fields[field] ??= `${labels[field]} ${messages[0]}`;
    }
  }
  return { fields, general: Object.keys(fields).length === 0 || unplaced ? error : null };
}
