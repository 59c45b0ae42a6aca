import { INVITATION_DEFAULT_DAYS, INVITATION_MAX_DAYS } from '@mreg/shared';

/** How the Members page says things about invitations, and the invite form's choices. */

/** How long a new link works, in days: the form's choices (the server takes 1 to INVITATION_MAX_DAYS). */
export const EXPIRY_DAY_CHOICES = [1, 3, 7, 14, INVITATION_MAX_DAYS] as const;
export const DEFAULT_EXPIRY_DAYS = INVITATION_DEFAULT_DAYS;

/** "1 day", "7 days". */
export const daysText = (days: number) => (days === 1 ? '1 day' : `${days} days`);

/**
 * What the admin must do with a link they were just given, since MREG sends no email: `until` is the
 * link's end, already formatted.
 */
export function linkInstructions(email: string, until: string): string {
  return `MREG sends no email: copy this link and send it to ${email} yourself. It works once, for ${email} only, until ${until}.`;
}

