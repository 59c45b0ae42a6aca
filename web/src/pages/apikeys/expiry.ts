import type { ApiKey } from '@mreg/shared';

/** How long a new key lasts: the form's choices, and how the list says when a key ends. */

/** Each choice's words are the apikeys namespace's `create.choices.<value>`. */
export const EXPIRY_CHOICES = [{ value: '7' }, { value: '30' }, { value: '90' }, { value: '365' }, { value: 'never' }] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];
export const DEFAULT_EXPIRY: ExpiryChoice = '90';

/** What the form sends to apiKeys.create (checked with ZCreateApiKeyInput first): "never" leaves the expiry out. */
export function createKeyInput(name: string, expiry: ExpiryChoice): { name: string; expiresInDays?: number } {
  return expiry === 'never' ? { name } : { name, expiresInDays: Number(expiry) };
}

/** "mreg_pat_AbCd…": the start a key is recognised by, marked as only its start. */
export const hintText = (key: Pick<ApiKey, 'hint'>) => `${key.hint}…`;

export type ExpiryState = { kind: 'never' } | { kind: 'expired'; at: string } | { kind: 'expires'; at: string };

/** Whether a key ends, and when; the server's `expired` decides, so that a slow clock here cannot disagree. */
export function expiryState(key: Pick<ApiKey, 'expiresAt' | 'expired'>): ExpiryState {
  if (key.expiresAt === null) return { kind: 'never' };
  return key.expired ? { kind: 'expired', at: key.expiresAt } : { kind: 'expires', at: key.expiresAt };
}
