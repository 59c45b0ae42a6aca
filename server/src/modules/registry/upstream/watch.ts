import {
  EmptyResultSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { StreamEnd } from './fetch';
import { secretsOf } from './fetch';
import type { UpstreamPolicy, UpstreamTarget } from './policy';
import { openSession, type Session } from './session';
import { formatDuration, redact, UpstreamError } from './words';

export interface ListWatcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  /** Notifications within this window after the first one make one onChange (default 1 s). */
  debounceMs?: number;
  /** Reconnection delays: initial, doubled per failure up to max, with +-20% jitter (default 1 s to 60 s). */
  backoffMs?: { initial: number; max: number };
  /** A ping on the open session this often, so a connection that died quietly is noticed (default 60 s). */
  livenessMs?: number;
  /** When the server announces no list changes or offers no notification stream: look again after this long (default 10 min). */
  recheckMs?: number;
  /** Each problem, in words (never the credential): for the caller's log. */
  onError?: (error: string) => void;
}

/** A connection held this long counts as a success: the next failure starts the backoff afresh. */
const STABLE_MS = 60_000;

/**
 * Keeps a connection open to hear notifications/{tools,resources,prompts}/list_changed and calls
 * `onChange` (debounced); close() ends it. Reconnects with backoff while open, each time with a new
 * session, and calls `onChange` after a reconnection too: notifications sent while MREG was away
 * are lost.
 */
export function watchListChanges(target: UpstreamTarget, policy: UpstreamPolicy, onChange: () => void, options: WatchOptions = {}): ListWatcher {
  const debounceMs = options.debounceMs ?? 1000;
  const backoff = options.backoffMs ?? { initial: 1000, max: 60_000 };
  const livenessMs = options.livenessMs ?? 60_000;
  const recheckMs = options.recheckMs ?? 600_000;
  const secrets = secretsOf(target.auth);

  let closed = false;
  let failures = 0;
  let heardOnce = false;
  let retry: NodeJS.Timeout | undefined;
  let pending: NodeJS.Timeout | undefined;
  /** The connection of the moment; `ended` once it was given up. */
  let current: { session?: Session; ended: boolean; liveness?: NodeJS.Timeout; since: number } | undefined;

  const report = (words: string) => {
    try {
      options.onError?.(redact(words, secrets));
    } catch {
      // The caller's logger is not MREG's concern here.
    }
  };
  const changed = () => {
    if (pending || closed) return;
    pending = setTimeout(() => {
      pending = undefined;
      if (closed) return;
      try {
        onChange();
      } catch {
        // onChange is the caller's; a failure there must not stop the watch.
      }
    }, debounceMs);
  };
  const schedule = (ms: number) => {
    clearTimeout(retry);
    retry = setTimeout(() => void connect(), ms);
  };
  const giveUp = async (connection: NonNullable<typeof current>) => {
    connection.ended = true;
    clearInterval(connection.liveness);
    if (current === connection) current = undefined;
    await connection.session?.close();
  };
  /** The connection was lost or refused: try again after the backoff (or, for "nothing to hear", after recheckMs). */
  const lost = (connection: NonNullable<typeof current>, words: string, nothingToHear = false) => {
    if (connection.ended || closed) return;
    void giveUp(connection);
    if (performance.now() - connection.since > STABLE_MS) failures = 0;
    const delay = nothingToHear ? recheckMs : Math.min(backoff.max, backoff.initial * 2 ** failures) * (0.8 + Math.random() * 0.4);
    failures += nothingToHear ? 0 : 1;
    report(`${words}; MREG tries again in ${formatDuration(delay)}`);
    schedule(delay);
  };
  const streamEnded = (connection: NonNullable<typeof current>) => (end: StreamEnd) => {
    if (end.status === 405) return lost(connection, 'the server offers no notification stream (GET answered 405), so list changes cannot be heard', true);
    if (end.status !== undefined) return lost(connection, `the notification stream was refused: the server answered ${end.status}`);
    lost(connection, end.problem?.message ?? 'the server closed the notification stream');
  };

  const connect = async () => {
    if (closed) return;
    const connection: NonNullable<typeof current> = { ended: false, since: performance.now() };
    current = connection;
    let session: Session;
    try {
      session = await openSession(target, policy, { listen: true, onStreamEnd: (end) => streamEnded(connection)(end) });
    } catch (error) {
      return lost(connection, error instanceof UpstreamError ? error.message : 'the connection failed');
    }
    connection.session = session;
    if (connection.ended || closed) return void (await session.close());
    const { tools, resources, prompts } = session.capabilities;
    if (!tools?.listChanged && !resources?.listChanged && !prompts?.listChanged) {
      return lost(connection, 'the server announces no list changes', true);
    }
    for (const schema of [ToolListChangedNotificationSchema, ResourceListChangedNotificationSchema, PromptListChangedNotificationSchema]) {
      session.client.setNotificationHandler(schema, changed);
    }
    connection.liveness = setInterval(() => {
      session.request('ping', undefined, EmptyResultSchema).catch((error: unknown) => {
        lost(connection, error instanceof UpstreamError ? error.message : 'the liveness ping failed');
      });
    }, livenessMs);
    if (heardOnce) changed();
    heardOnce = true;
  };

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      clearTimeout(pending);
      if (current) await giveUp(current);
    },
  };
}
