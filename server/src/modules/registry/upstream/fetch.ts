import { Agent, buildConnector, fetch as undiciFetch, Response as UndiciResponse } from 'undici';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { enterGate } from './gate';
import type { UpstreamPolicy, UpstreamTarget } from './policy';
import { guardedLookup, literalRefusal, systemResolver } from './ssrf';
import { formatBytes, UpstreamError } from './words';

/**
 * One conversation with one upstream (a discovery, a ping, or one connection of a watcher): its own
 * undici Agent (connect timeout, the SSRF-guarded connector), and the `fetch` handed to the MCP
 * SDK's transport, which adds MREG's credential for the upstream, refuses redirects off its origin,
 * counts response bytes and keeps to the per-origin concurrency limit. The first problem met is
 * kept in words (`problem`) and aborts `signal`, which every MCP request of the conversation carries,
 * so a request waiting on a stream that failed ends at once with the right words.
 */
export interface Exchange {
  readonly url: URL;
  readonly fetch: FetchLike;
  readonly signal: AbortSignal;
  /** The first problem, in words; later ones are consequences. */
  readonly problem: UpstreamError | undefined;
  /** Secrets that must appear in no word MREG answers. */
  readonly secrets: readonly string[];
  fail(problem: UpstreamError): void;
  /**
   * Ends the answers still streaming (POST event streams) once the MCP request they answer is
   * settled: a server SHOULD close such a stream after its response, and one that does not would
   * otherwise keep its place in the origin's gate.
   */
  endAnswers(): void;
  /** Ends every connection of the exchange. */
  destroy(): Promise<void>;
}

export interface ExchangeOptions {
  /**
   * Open the standalone GET event stream (a watcher). Otherwise MREG answers the SDK's GET itself
   * with 405, which the SDK takes as "no stream offered": a discovery or ping opens no idle stream.
   */
  listen?: boolean;
  /** The listening stream ended, failed or was refused: `status` when the server answered other than 2xx, `problem` when MREG refused or cut it. */
  onStreamEnd?: (end: StreamEnd) => void;
}

export interface StreamEnd {
  status?: number;
  problem?: UpstreamError;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Connections end after this long without bytes on a request's answer; the listening stream has no such limit. */
const NO_BODY_TIMEOUT = 0;

/** The SDK follows a redirect itself when it stays on the origin (or goes from http to https on the same host). */
function withinOrigin(from: URL, to: URL): boolean {
  if (from.origin === to.origin) return true;
  return from.hostname === to.hostname && from.protocol === 'http:' && from.port === '' && to.protocol === 'https:' && to.port === '';
}

/** One request of the SDK's transport to an upstream: MREG's credential in place, redirects not followed, through `agent`. */
export function sendWithCredential(url: URL, method: string, init: RequestInit, credential: Array<[string, string]>, agent: Agent): Promise<UndiciResponse> {
  const headers = new Headers(init.headers);
  for (const [name, value] of credential) headers.set(name, value);
  return undiciFetch(url, {
    method,
    headers: [...headers],
    body: init.body as string | undefined,
    signal: init.signal ?? undefined,
    redirect: 'manual',
    dispatcher: agent,
  });
}

export function credentialHeaders(auth: UpstreamTarget['auth']): Array<[string, string]> {
  if (auth.kind === 'bearer') return [['authorization', `Bearer ${auth.token}`]];
  if (auth.kind === 'header') return [[auth.name, auth.value]];
  return [];
}

export function secretsOf(auth: UpstreamTarget['auth']): string[] {
  if (auth.kind === 'bearer') return [auth.token];
  if (auth.kind === 'header') return [auth.value];
  return [];
}

/**
 * A body that errors once more than `limit` bytes came through: in all (`perEvent` false), or
 * since the last blank line that ends a server-sent event (`perEvent`, for the listening stream,
 * which may live for days). Read on demand, so the upstream is not read ahead of the reader.
 * `end()` stops it early: the reader then sees its end.
 */
function countedBody(body: ReadableStream<Uint8Array>, limit: number, perEvent: boolean, tooLarge: () => Error, done: (error?: unknown) => void): { stream: ReadableStream<Uint8Array>; end(): void } {
  const reader = body.getReader();
  let count = 0;
  let lineEnds = 0;
  let finished = false;
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    done(error);
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done: ended } = await reader.read();
          if (ended) {
            finish();
            controller.close();
            return;
          }
          if (perEvent) {
            for (const byte of value) {
              if (byte === 0x0a) lineEnds += 1;
              else if (byte !== 0x0d) lineEnds = 0;
              count = lineEnds >= 2 ? 0 : count + 1;
            }
          } else {
            count += value.byteLength;
          }
          if (count > limit) {
            const error = tooLarge();
            finish(error);
            reader.cancel(error).catch(() => undefined);
            controller.error(error);
            return;
          }
          controller.enqueue(value);
        } catch (error) {
          finish(error);
          controller.error(error);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const end = () => {
    finish();
    reader.cancel().catch(() => undefined);
  };
  return { stream, end };
}

/**
 * An undici Agent for upstream connections: the connect timeout, and the SSRF guard at connection
 * time (each resolved address checked, IP literals too). `bodyTimeoutMs` 0: no limit between bytes.
 */
export function guardedAgent(policy: UpstreamPolicy, { headersTimeoutMs, bodyTimeoutMs, connections }: { headersTimeoutMs: number; bodyTimeoutMs: number; connections?: number }): Agent {
  const lookup = guardedLookup(policy, policy.lookup ?? systemResolver);
  const connectOnce = buildConnector({ timeout: policy.connectTimeoutMs, lookup });
  // undici hands IP literals to net.connect, which does not look them up: check them here.
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const refusal = literalRefusal(connectOptions.hostname, policy);
    if (refusal) return callback(new UpstreamError(refusal), null);
    connectOnce(connectOptions, callback);
  };
  return new Agent({ connect, headersTimeout: headersTimeoutMs, bodyTimeout: bodyTimeoutMs, ...(connections ? { connections } : {}) });
}

export function openExchange(target: UpstreamTarget, policy: UpstreamPolicy, options: ExchangeOptions = {}): Exchange {
  const url = new URL(target.url);
  const controller = new AbortController();
  let problem: UpstreamError | undefined;
  const fail = (error: UpstreamError) => {
    problem ??= error;
    if (!controller.signal.aborted) controller.abort(problem);
  };
  const agent = guardedAgent(policy, { headersTimeoutMs: policy.requestTimeoutMs, bodyTimeoutMs: options.listen ? NO_BODY_TIMEOUT : policy.requestTimeoutMs });
  const credential = credentialHeaders(target.auth);
  // Places held in the origin's gate, given back when their answer is read, cancelled or destroyed.
  const held = new Set<() => void>();
  // Answers being read (not the listening stream).
  const answers = new Set<() => void>();
  const tooLarge = () => {
    const error = new UpstreamError(`the answer was larger than ${formatBytes(policy.maxResponseBytes)}`);
    fail(error);
    return error;
  };

  const upstreamFetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    if (problem) throw problem;
    const requestUrl = new URL(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const listening = method === 'GET';
    if (listening && !options.listen) return new Response(null, { status: 405 });
    if (!withinOrigin(url, requestUrl)) {
      // The SDK asks only for the server's URL and redirects it found on the origin.
      throw new UpstreamError(`MREG asks only ${url.origin}, not ${requestUrl.origin}`);
    }
    const leave = await enterGate(url.origin, policy.maxConcurrentPerUpstream, init.signal ?? undefined);
    const release = () => {
      held.delete(release);
      leave();
    };
    held.add(release);
    let response: UndiciResponse;
    try {
      response = await sendWithCredential(requestUrl, method, init, credential, agent);
    } catch (error) {
      release();
      const refusal = findUpstreamError(error);
      if (refusal) fail(refusal);
      if (listening) options.onStreamEnd?.({ problem: refusal });
      throw error;
    }
    if (REDIRECTS.has(response.status)) {
      const location = response.headers.get('location');
      const to = location && URL.canParse(location, requestUrl.href) ? new URL(location, requestUrl) : undefined;
      if (to && !withinOrigin(url, to)) {
        await response.body?.cancel().catch(() => undefined);
        release();
        const error = new UpstreamError(`the server answered ${response.status} redirecting to ${to.origin}, another origin: MREG does not follow redirects off ${url.origin} (if the server moved, save its new URL)`);
        fail(error);
        if (listening) options.onStreamEnd?.({ problem: error });
        throw error;
      }
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (!listening && declared > policy.maxResponseBytes) {
      await response.body?.cancel().catch(() => undefined);
      release();
      throw tooLarge();
    }
    if (listening && !response.ok && !REDIRECTS.has(response.status)) options.onStreamEnd?.({ status: response.status });
    if (!response.body) {
      release();
      return response as unknown as Response;
    }
    // The listening stream is a subscription, not a request in flight: its place is given back once it is open.
    if (listening) release();
    const body = countedBody(response.body as ReadableStream<Uint8Array>, policy.maxResponseBytes, listening, tooLarge, (error) => {
      release();
      answers.delete(body.end);
      if (listening && response.ok) options.onStreamEnd?.({ problem: findUpstreamError(error) });
    });
    if (!listening) answers.add(body.end);
    // undici's own BodyInit: the web app's typecheck (DOM lib) sees another ReadableStream type here.
    return new UndiciResponse(body.stream as unknown as ConstructorParameters<typeof UndiciResponse>[0], {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    }) as unknown as Response;
  };

  return {
    url,
    fetch: upstreamFetch as FetchLike,
    signal: controller.signal,
    get problem() {
      return problem;
    },
    secrets: secretsOf(target.auth),
    fail,
    endAnswers() {
      for (const end of [...answers]) end();
    },
    async destroy() {
      for (const release of [...held]) release();
      await agent.destroy().catch(() => undefined);
    },
  };
}

/** The UpstreamError an error is, or was caused by (undici's "fetch failed" wraps the connector's). */
export function findUpstreamError(error: unknown): UpstreamError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (e instanceof UpstreamError) return e;
  }
  return undefined;
}
