import { z } from 'zod';
import { ZIsoDate } from './auth';
import { orRequired } from './messages';
import { ZRole } from './roles';
import { ZAddMemberInput } from './tenants';

/**
 * Invitations (issue 22): a tenant admin invites someone by email and role; MREG sends no email, the
 * admin copies the single-use link (`/invitations/<token>`, of which only the SHA-256 is kept). The
 * invited person signs in and accepts (joining the tenant and switching to it) or declines. The
 * link works only for the signed-in person whose email matches (case-insensitively, after
 * normalisation), and only once.
 */

export const INVITATION_DEFAULT_DAYS = 7;
export const INVITATION_MAX_DAYS = 30;
/** Pending invitations a tenant may have at once. */
export const INVITATIONS_PER_TENANT = 200;

/** How invited emails are compared: trimmed, Unicode NFC, lower case. */
export const normalizeEmail = (email: string) => email.trim().normalize('NFC').toLowerCase();

export const ZInvitationId = z.uuid({ error: orRequired('must be an invitation id (a UUID)') });
/** The secret in the link: 32 random bytes in base64url. */
export const ZInvitationToken = z
  .string({ error: orRequired('must be the invitation link') })
  .regex(/^[A-Za-z0-9_-]{43}$/, { error: 'must be the token of an invitation link (43 letters, digits, _ or -)' });

export const ZInviteInput = z.strictObject({
  email: ZAddMemberInput.shape.email,
  role: ZRole,
  expiresInDays: z
    .int({ error: orRequired(`must be a whole number of days from 1 to ${INVITATION_MAX_DAYS}`) })
    .min(1, { error: 'must be at least 1 day' })
    .max(INVITATION_MAX_DAYS, { error: `must be at most ${INVITATION_MAX_DAYS} days` })
    .default(INVITATION_DEFAULT_DAYS),
});
export type InviteInput = z.input<typeof ZInviteInput>;

export const ZInvitation = z.object({
  id: ZInvitationId,
  email: z.string(),
  role: ZRole,
  invitedBy: z.string().nullable(),
  createdAt: ZIsoDate,
  expiresAt: ZIsoDate,
  expired: z.boolean(),
});
export type Invitation = z.infer<typeof ZInvitation>;
export const ZInvitationList = z.array(ZInvitation);

/** A new invitation, or a new link for one: the link is in this answer and nowhere else. */
export const ZInvitationLink = z.object({ invitation: ZInvitation, link: z.string() });
export type InvitationLink = z.infer<typeof ZInvitationLink>;

export const ZInvitationIdInput = z.strictObject({ id: ZInvitationId });
export const ZInvitationTokenInput = z.strictObject({ token: ZInvitationToken });
export const ZRevokeInvitationResult = z.object({ revoked: z.literal(true) });
export const ZDeclineInvitationResult = z.object({ declined: z.literal(true) });

/** What the invitation page shows to the signed-in person who opened a link. */
export const ZInvitationView = z.object({
  tenantName: z.string(),
  role: ZRole,
  email: z.string(),
  invitedBy: z.string().nullable(),
  expiresAt: ZIsoDate,
  /**
   * pending: it can be accepted; the others say why not (expired, revoked by an admin, accepted or
   * declined already). Whether it is for the signed-in person is `forYou`.
   */
  status: z.enum(['pending', 'expired', 'revoked', 'accepted', 'declined']),
  forYou: z.boolean(),
  /** The signed-in person's email, to say whom the link is not for. */
  yourEmail: z.string(),
});
export type InvitationView = z.infer<typeof ZInvitationView>;
