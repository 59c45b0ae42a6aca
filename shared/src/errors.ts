/**
 * Why the server refused a call, for the refusals a client acts on (Documenso's AppError reasons):
 * a stable word in the error's `data.reason`, beside the tRPC code, so that the app tells them apart
 * without reading the message, whose English may change. Most refusals need none; a new one the app
 * must recognise is added here and thrown with `new AppError(code, message, { reason })`.
 */
export const ERROR_REASONS = [
  /** The change would leave the tenant without an active admin (CONFLICT). */
  'last_admin',
  /** A member cannot be removed from their home tenant, which their sign-in would bring back (CONFLICT). */
  'home_tenant',
  /**
   * No one with that email is in reach of the tenant: of its organisation (home tenant), its own
   * deactivated member, or a member of a tenant the acting admin is in (NOT_FOUND). Not told apart
   * from "no one at all", so that it says nothing of other organisations' people.
   */
  'unknown_email',
  /** More than one person in that reach, and equally near, has that email (CONFLICT). */
  'ambiguous_email',
  /** The person is already an active member of the tenant (CONFLICT). */
  'already_member',
  /** A role or permissions beyond the acting admin's own (FORBIDDEN). */
  'beyond_own_rights',
  /** No active membership of the active tenant (FORBIDDEN): switch to a tenant you belong to. */
  'no_active_membership',
  /** The role in the active tenant does not give the permission the call needs (FORBIDDEN). */
  'missing_permission',
  /** An invitation link that never was, or was replaced by a newer link (NOT_FOUND). */
  'invitation_not_found',
  /** An invitation past its expiry (CONFLICT). */
  'invitation_expired',
  /** An invitation an admin revoked (CONFLICT). */
  'invitation_revoked',
  /** An invitation already accepted or declined: a link works once (CONFLICT). */
  'invitation_used',
  /** An invitation for another email than the signed-in person's (FORBIDDEN). */
  'invitation_wrong_person',
  /** An open invitation for that email exists already: resend it for a new link (CONFLICT). */
  'already_invited',
  /** The tenant has as many open invitations as it may (CONFLICT). */
  'too_many_invitations',
] as const;

export type ErrorReason = (typeof ERROR_REASONS)[number];
