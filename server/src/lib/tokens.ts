import { createHash, randomBytes } from 'node:crypto';

/** Session and pre-auth tokens: 32 random bytes, base64url (DESIGN.md, security model). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Cookie values that cannot be one of our tokens are not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
export const isTokenShaped = (value: unknown): value is string => typeof value === 'string' && TOKEN_SHAPE.test(value);
