import { QueryClient } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createMregClient, errorReason, isUnauthorized, TRPCClientError, type AppRouter } from '@mreg/client';
import type { ErrorReason } from '@mreg/shared';
import { codeKey, i18n } from './i18n';
import { fieldMessage } from './i18n/validation';

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


/** The tRPC codes said in words of their own (i18n.test.ts checks each resolves); any other is `other`. */
export const CODE_WORDS = {
  BAD_REQUEST: 'errors.code.badRequest',
  UNAUTHORIZED: 'errors.code.unauthorized',
  FORBIDDEN: 'errors.code.forbidden',
  NOT_FOUND: 'errors.code.notFound',
  CONFLICT: 'errors.code.conflict',
  TOO_MANY_REQUESTS: 'errors.code.tooManyRequests',
  PAYLOAD_TOO_LARGE: 'errors.code.payloadTooLarge',
} as const;

/** A reason code (shared/src/errors.ts) in the app's language; i18n.test.ts checks each has its words. */
export const reasonText = (reason: ErrorReason): string => i18n.t(`reasons.${codeKey(reason)}` as 'reasons.lastAdmin');

/**
 * The message of a failed call, for a banner, in the app's language. The server speaks English, with
 * the names of who and what it refused: in English its words are shown as they are. In another
 * language, a refusal with a reason code is said from the code, and one without from its tRPC code.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    if (!error.data) return i18n.t('errors.unreachable');
    if (i18n.resolvedLanguage === 'en') return error.message;
    const reason = errorReason(error);
    if (reason) return reasonText(reason);
    const code = (error.data as { code?: string }).code;
    return i18n.t(code && Object.hasOwn(CODE_WORDS, code) ? CODE_WORDS[code as keyof typeof CODE_WORDS] : 'errors.code.other');
  }
  return error instanceof Error ? error.message : String(error);
}

/** The zod field errors of a BAD_REQUEST, by field, when the server sent them, in the app's language. */
export function fieldErrors(error: unknown): Record<string, string[]> {
  if (!(error instanceof TRPCClientError)) return {};
  const byField = (error.data as { fieldErrors?: Record<string, string[]> } | undefined)?.fieldErrors ?? {};
  return Object.fromEntries(Object.entries(byField).map(([field, messages]) => [field, messages.map(fieldMessage)]));
}

/** The tRPC code of a refused call ('NOT_FOUND', 'BAD_REQUEST'...), or undefined when it did not come from the server. */
export function errorCode(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}
