/** Where a 401 from any call is announced (the tRPC client and the avatar routes), for the auth provider. */
const listeners = new Set<() => void>();

export function notifyUnauthorized(): void {
  for (const listener of listeners) listener();
}

export function onUnauthorized(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
