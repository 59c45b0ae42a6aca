import { INVITATION_DEFAULT_DAYS, INVITATION_MAX_DAYS } from '@mreg/shared';

/** How long a new link works, in days: the invite form's choices (the server takes 1 to INVITATION_MAX_DAYS). */
export const EXPIRY_DAY_CHOICES = [1, 3, 7, 14, INVITATION_MAX_DAYS] as const;
export const DEFAULT_EXPIRY_DAYS = INVITATION_DEFAULT_DAYS;
