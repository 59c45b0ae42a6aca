import { TRPCError } from '@trpc/server';
import { APP_ERROR_CODES, clientError } from '../errors';

/**
 * The one error map (clientError, errors.ts) in tRPC's terms: a service's AppError, or a database
 * outage, becomes the tRPC error of its code, message kept. Used by trpc.ts's middleware and by the
 * context's session lookup (context.ts), which runs before any middleware.
 */
export function mappedError(cause: unknown): TRPCError | undefined {
  const error = clientError(cause);
  return error && new TRPCError({ code: APP_ERROR_CODES[error.code].trpc, message: error.message, cause: error });
}
