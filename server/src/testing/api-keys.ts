import type { ApiKeyCreated } from '@mreg/shared';
import { signInAs, trpcMutation } from './sign-in';

/**
 * An API key for a demo person in a tenant, made as they would make it: signed in through the
 * development provider, switched to the tenant, then apiKeys.create. Answers the secret too.
 */
export async function mintApiKey(baseUrl: string, email: string, options: { tenantId?: string; name?: string; expiresInDays?: number } = {}): Promise<ApiKeyCreated> {
  const { client } = await signInAs(baseUrl, email);
  if (options.tenantId) {
    const switched = await trpcMutation(client, baseUrl, 'auth.switchTenant', { tenantId: options.tenantId });
    if (switched.status !== 200) throw new Error(`switchTenant answered ${switched.status}: ${JSON.stringify(switched.body)}`);
  }
  const made = await trpcMutation(client, baseUrl, 'apiKeys.create', { name: options.name ?? `test key of ${email}`, expiresInDays: options.expiresInDays });
  if (made.status !== 200) throw new Error(`apiKeys.create answered ${made.status}: ${JSON.stringify(made.body)}`);
  return made.body.result!.data as ApiKeyCreated;
}

/** A bearer request's headers. */
export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
