/**
 * Why a sign-in failed, each with the status of the error page. The sentence a person can act on is
 * the page's, in their language (server/src/i18n, `failure.<reason>`); the detail (provider message,
 * library error) goes to the log, never to the page.
 */
export const SIGN_IN_FAILURES = {
  no_request: 400,
  state_mismatch: 400,
  provider_error: 400,
  access_denied: 403,
  code_rejected: 400,
  invalid_token: 400,
  nonce_mismatch: 400,
  tenant_not_allowed: 403,
  bad_return_to: 400,
  provider_unreachable: 502,
} as const satisfies Record<string, number>;

export type SignInFailure = keyof typeof SIGN_IN_FAILURES;

export class SignInError extends Error {
  readonly status: number;
  /** What the provider said about its refusal, shown on the page (a provider_error's description). */
  readonly providerSaid: string | undefined;

  constructor(
    readonly reason: SignInFailure,
    /** For the log: what exactly went wrong. */
    readonly detail?: string,
    options?: { cause?: unknown; providerSaid?: string },
  ) {
    super(`Sign-in failed (${reason})${detail ? `: ${detail}` : ''}`, { cause: options?.cause });
    this.name = 'SignInError';
    this.status = SIGN_IN_FAILURES[reason];
    this.providerSaid = options?.providerSaid;
  }
}
