import { TRPCError } from '@trpc/server';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable';
import { APP_ERROR_CODES, AppError } from '../errors';

/**
 * The one error map: a service's AppError becomes the tRPC error of its code, message kept; a
 * database that does not answer (stopped, restarting, pool exhausted) becomes SERVICE_UNAVAILABLE
 * rather than a 500, since it is an outage to retry, not a bug. Also used for the context's session
 * lookup (context.ts), which runs before any middleware.
 */
export function mappedError(cause: unknown): TRPCError | undefined {
  const error = cause instanceof AppError ? cause : isDatabaseUnavailable(cause) ? databaseUnavailable(cause) : undefined;
  return error && new TRPCError({ code: APP_ERROR_CODES[error.code], message: error.message, cause: error });
}
