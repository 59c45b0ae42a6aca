import { z } from 'zod';
import { ZIsoDate } from './auth';
import { orRequired } from './messages';
import { visibleText } from './text';

/**
 * API keys (issue 19): a person's credential for /mcp, /mcp/<slug> and /trpc
 * (`Authorization: Bearer mreg_pat_...`). A key acts for its owner in the tenant it was made in,
 * with at most the owner's permissions there, checked on every request. The secret is shown once.
 */

/** Every key starts so, for secret scanners and for people who find one. */
export const API_KEY_PREFIX = 'mreg_pat_';
export const API_KEY_NAME_MAX_LENGTH = 64;
export const API_KEY_MAX_EXPIRY_DAYS = 365;
/** Live keys (not revoked, not expired) a person may hold in one tenant. */
export const API_KEYS_PER_TENANT = 50;

export const ZApiKeyId = z.uuid({ error: orRequired('must be an API key id (a UUID)') });

export const ZCreateApiKeyInput = z.strictObject({
  name: visibleText({ max: API_KEY_NAME_MAX_LENGTH, required: true, typeError: 'must be a name' }),
  /** Left out: the key does not expire (until revoked, or its owner leaves the tenant). */
  expiresInDays: z
    .int({ error: orRequired(`must be a whole number of days from 1 to ${API_KEY_MAX_EXPIRY_DAYS}`) })
    .min(1, { error: `must be at least 1 day` })
    .max(API_KEY_MAX_EXPIRY_DAYS, { error: `must be at most ${API_KEY_MAX_EXPIRY_DAYS} days` })
    .optional(),
});
export type CreateApiKeyInput = z.infer<typeof ZCreateApiKeyInput>;

export const ZApiKeyIdInput = z.strictObject({ id: ZApiKeyId });

/** A key as listed: never its secret, only the start of it, to recognise it by. */
export const ZApiKey = z.object({
  id: ZApiKeyId,
  name: z.string(),
  /** `mreg_pat_` and the secret's first characters. */
  hint: z.string(),
  tenantId: z.string(),
  createdAt: ZIsoDate,
  expiresAt: ZIsoDate.nullable(),
  /** Updated at most once a minute. */
  lastUsedAt: ZIsoDate.nullable(),
  expired: z.boolean(),
});
export type ApiKey = z.infer<typeof ZApiKey>;
export const ZApiKeyList = z.array(ZApiKey);

export const ZApiKeyCreated = z.object({
  apiKey: ZApiKey,
  /** The whole key: shown once, never again. */
  secret: z.string(),
});
export type ApiKeyCreated = z.infer<typeof ZApiKeyCreated>;

export const ZRevokeApiKeyResult = z.object({ revoked: z.literal(true) });
