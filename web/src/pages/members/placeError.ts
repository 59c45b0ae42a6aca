import { z } from 'zod';
import { fieldMessage } from '../../i18n/validation';
import { errorMessage, errorReason, fieldErrors } from '../../trpc';

/** The fields of the forms that bring people into a tenant (Add a member, Invite someone). */
export type PersonFormField = 'email' | 'role' | 'expiresInDays';
export type PersonFormErrors = Partial<Record<PersonFormField, string>>;

/** The first message of each field (a zod flatten, or the server's field errors), label first. */
export function fieldsOf(byField: Record<string, string[] | undefined>, labels: Partial<Record<PersonFormField, string>>): PersonFormErrors {
  const errors: PersonFormErrors = {};
  for (const [key, label] of Object.entries(labels) as [PersonFormField, string][]) {
    const first = byField[key]?.[0];
    if (first) errors[key] = `${label} ${first}`;
  }
  return errors;
}

/** A form's own check (the shared schema, before anything is sent), in the app's language as the server's would be. */
export function checkedFields(error: z.ZodError, labels: Partial<Record<PersonFormField, string>>): PersonFormErrors {
  const byField = z.flattenError(error).fieldErrors as Record<string, string[] | undefined>;
  return fieldsOf(Object.fromEntries(Object.entries(byField).map(([field, messages]) => [field, messages?.map(fieldMessage)])), labels);
}

/**
 * Sorts a refused add or invite into the field it is about; what belongs to no field (one's own
 * rights gone meanwhile, too many invitations) goes to the form's banner.
 */
export function placeError(error: unknown, labels: Partial<Record<PersonFormField, string>>): { fields: PersonFormErrors; general: unknown } {
  const fields = fieldsOf(fieldErrors(error), labels);
  if (Object.keys(fields).length > 0) return { fields, general: null };
  switch (errorReason(error)) {
    // An unknown email, someone already a member or invited, or an email two people share: all about the email.
    case 'unknown_email':
    case 'already_member':
    case 'already_invited':
    case 'ambiguous_email':
      return { fields: { email: errorMessage(error) }, general: null };
    // A role above one's own.
    case 'beyond_own_rights':
      return { fields: { role: errorMessage(error) }, general: null };
    default:
      return { fields: {}, general: error };
  }
}
