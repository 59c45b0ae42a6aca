import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { ErrorReason } from '@mreg/shared';
import { isDatabaseUnavailable } from './db/unavailable';

/**
 * Each code's tRPC code, and the HTTP status tRPC answers for it, which the plain routes answer too
 * (errors.test.ts holds the two to tRPC's own table).
 */
export const APP_ERROR_CODES = {
  BAD_REQUEST: { trpc: 'BAD_REQUEST', status: 400 },
  UNAUTHORIZED: { trpc: 'UNAUTHORIZED', status: 401 },
  FORBIDDEN: { trpc: 'FORBIDDEN', status: 403 },
  NOT_FOUND: { trpc: 'NOT_FOUND', status: 404 },
  CONFLICT: { trpc: 'CONFLICT', status: 409 },
  TOO_MANY_REQUESTS: { trpc: 'TOO_MANY_REQUESTS', status: 429 },
  FEATURE_DISABLED: { trpc: 'PRECONDITION_FAILED', status: 412 },
  UNAVAILABLE: { trpc: 'SERVICE_UNAVAILABLE', status: 503 },
} as const satisfies Record<string, { trpc: TRPC_ERROR_CODE_KEY; status: number }>;

export type AppErrorCode = keyof typeof APP_ERROR_CODES;

export interface AppErrorOptions {
  /** Why, for a refusal the client acts on; never needed just to be shown. */
  reason?: ErrorReason;
  /** The failure behind it, for the log (a driver error, say); never shown to the client. */
  cause?: unknown;
}

/**
 * What services throw (Documenso's AppError): a code from the list above, a message a person can
 * read, and for the refusals a client acts on, a reason (shared/errors.ts). tRPC and the plain HTTP
 * routes both answer it through `clientError` below; services never import tRPC or Express.
 */
export class AppError extends Error {
  readonly reason: ErrorReason | undefined;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    { reason, ...cause }: AppErrorOptions = {},
  ) {
    // `cause` only when given: an own `cause: undefined` would show in the log as a cause.
    super(message, cause);
    this.name = 'AppError';
    this.reason = reason;
  }
}

/** The HTTP status that answers an AppError, over tRPC and plain routes alike. */
export const httpStatus = (error: AppError): number => APP_ERROR_CODES[error.code].status;

/**
 * The one error map, for tRPC (trpc/error-map.ts) and the plain routes (http/errors.ts): the AppError a client
 * is told about a failure, or undefined for a bug, which is a 500 whose details stay in the log. A
 * database that does not answer (stopped, restarting, pool exhausted) is UNAVAILABLE (503) rather
 * than a 500, since it is an outage to retry, not a bug.
 */
export function clientError(cause: unknown): AppError | undefined {
  if (cause instanceof AppError) return cause;
  if (isDatabaseUnavailable(cause)) return new AppError('UNAVAILABLE', 'The database is not answering; try again shortly', { cause });
  return undefined;
}
