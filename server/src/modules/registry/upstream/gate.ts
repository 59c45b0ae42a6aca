/**
 * At most `limit` holders at once per key (an upstream origin), for this process; waiters are served
 * in order. Entries go away when idle, so the map holds only origins in use.
 */
interface Gate {
  active: number;
  waiting: Array<{ grant: () => void; limit: number }>;
}

const gates = new Map<string, Gate>();

function serve(key: string, gate: Gate): void {
  while (gate.waiting.length > 0 && gate.active < gate.waiting[0]!.limit) {
    gate.active += 1;
    gate.waiting.shift()!.grant();
  }
  if (gate.active === 0 && gate.waiting.length === 0) gates.delete(key);
}

/**
 * Waits for a place under `key`; resolves to the release function (safe to call twice), or rejects
 * with the signal's reason when `signal` aborts first.
 */
export function enterGate(key: string, limit: number, signal?: AbortSignal): Promise<() => void> {
  signal?.throwIfAborted();
  const gate = gates.get(key) ?? { active: 0, waiting: [] };
  gates.set(key, gate);
  return new Promise((resolve, reject) => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      gate.active -= 1;
      serve(key, gate);
    };
    const waiter = {
      limit: Math.max(1, limit),
      grant: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      },
    };
    const onAbort = () => {
      const at = gate.waiting.indexOf(waiter);
      if (at >= 0) gate.waiting.splice(at, 1);
      serve(key, gate);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    gate.waiting.push(waiter);
    serve(key, gate);
  });
}

/** Holders and waiters per key, for tests. */
export function gateLoad(key: string): { active: number; waiting: number } {
  const gate = gates.get(key);
  return { active: gate?.active ?? 0, waiting: gate?.waiting.length ?? 0 };
}
