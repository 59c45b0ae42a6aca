/**
 * Why a sign-in failed, each with the status of the error page and a sentence a person can act on.
 * The detail (provider message, library error) goes to the log, never to the page.
 */
export const SIGN_IN_FAILURES = {
  no_request: [400, 'This sign-in was not started here, or it took too long. Start again from the sign-in link.'],
  state_mismatch: [400, 'The answer from the identity provider does not belong to this sign-in. Start again from the sign-in link.'],
  provider_error: [400, 'The identity provider could not sign you in.'],
  access_denied: [403, 'The identity provider did not allow this sign-in.'],
  code_rejected: [400, 'The identity provider refused the sign-in code: it was already used or has expired. Start again from the sign-in link.'],
  invalid_token: [400, 'The identity provider sent an identity token that failed verification, so nobody was signed in.'],
  nonce_mismatch: [400, 'The identity token was issued for another sign-in attempt, so nobody was signed in.'],
  tenant_not_allowed: [403, 'Your organisation is not allowed to sign in to this MREG.'],
  bad_return_to: [400, 'The address to return to after sign-in must be a path on this site.'],
  provider_unreachable: [502, 'The identity provider could not be reached. Try again in a moment.'],
} as const satisfies Record<string, readonly [number, string]>;

export type SignInFailure = keyof typeof SIGN_IN_FAILURES;

export class SignInError extends Error {
  readonly status: number;
  /** What the error page says. */
  readonly userMessage: string;

  constructor(
    readonly reason: SignInFailure,
    /** For the log: what exactly went wrong. */
    readonly detail?: string,
    options?: { cause?: unknown; userMessage?: string },
  ) {
    super(`Sign-in failed (${reason})${detail ? `: ${detail}` : ''}`, { cause: options?.cause });
    this.name = 'SignInError';
    this.status = SIGN_IN_FAILURES[reason][0];
    this.userMessage = options?.userMessage ?? SIGN_IN_FAILURES[reason][1];
  }
}
