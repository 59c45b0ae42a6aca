import { QueryClient } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createMregClient, errorReason, isUnauthorized, TRPCClientError, type AppRouter } from '@mreg/client';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
export { errorReason, isUnauthorized };

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A refusal (signed out, forbidden, bad input) will not change on retry; a network failure may.
        retry: (failures, error) => failures < 1 && !(error instanceof TRPCClientError && (error.data?.httpStatus ?? 500) < 500),
      },
    },
  });
}

/** The app's typed client on its own origin; any 401 ends the signed-in state. */
export function makeTrpcClient(onUnauthorized: () => void) {
  return createMregClient('', { onUnauthorized });
}

/** The message of a failed call, for a banner: the server's words, or that it could not be reached. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    return error.data ? error.message : 'The server could not be reached. Check the connection and try again.';
  }
  return error instanceof Error ? error.message : String(error);
}

/** The zod field errors of a BAD_REQUEST, by field, when the server sent them. */
export function fieldErrors(error: unknown): Record<string, string[]> {
  if (!(error instanceof TRPCClientError)) return {};
  return ((error.data as { fieldErrors?: Record<string, string[]> } | undefined)?.fieldErrors ?? {});
}

/** The tRPC code of a refused call ('NOT_FOUND', 'BAD_REQUEST'...), or undefined when it did not come from the server. */
export function errorCode(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}
