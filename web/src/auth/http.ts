import { z } from 'zod';
import { CSRF_HEADER, ZLogoutResult, ZProfile, type Profile } from '@mreg/shared';
import { notifyUnauthorized } from './unauthorized';

const CSRF = { [CSRF_HEADER]: '1' };
/** How MREG's plain routes (not tRPC) say what went wrong. */
const ZErrorBody = z.object({ error: z.string() });

/** A plain route's refusal: the server's message, and the status (a proxy's 413 may come without a message). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Reads a plain route's answer: the parsed body, or an HttpError with the server's message. */
async function answer<T>(response: Response, parse: (body: unknown) => T): Promise<T> {
  if (response.status === 401) notifyUnauthorized();
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = ZErrorBody.safeParse(body);
    throw new HttpError(parsed.success ? parsed.data.error : `The server answered ${response.status}`, response.status);
  }
  return parse(body);
}

/** Upload a new avatar (PNG, JPEG or WebP; the server reads the type from the bytes). */
export async function uploadAvatar(file: Blob): Promise<Profile> {
  const response = await fetch('/avatars', {
    method: 'PUT',
    credentials: 'same-origin',
    headers: { ...CSRF, 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  return answer(response, (body) => ZProfile.parse(body));
}

export async function removeAvatar(): Promise<Profile> {
  const response = await fetch('/avatars', { method: 'DELETE', credentials: 'same-origin', headers: CSRF });
  return answer(response, (body) => ZProfile.parse(body));
}

/** Ends the session on the server; the answer names the provider's end-session page when it has one. */
export async function signOut(): Promise<string | null> {
  const response = await fetch('/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...CSRF, accept: 'application/json' },
  });
  return answer(response, (body) => ZLogoutResult.parse(body).endSessionUrl);
}
