import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import type { Cache } from '../../cache/cache';
import { watchAdmission } from '../../http/bearer';
import { jsonRpcRefusal } from '../../http/mcp-host';
import type { Metrics, PassThroughOutcome } from '../../metrics/metrics';
import { credentialHeaders, findUpstreamError, secretsOf } from '../registry/upstream/fetch';
import type { UpstreamPolicy } from '../registry/upstream';
import { errorCode, networkWords } from '../registry/upstream/session';
import { formatBytes, redact } from '../registry/upstream/words';
import type { AgentPool } from './passthrough.agents';
import type { JsonRpcId, PassThroughServer } from './passthrough.service';
import { bindSession, dropSession, type SessionOwner } from './passthrough.sessions';

/**
 * The HTTP half of /mcp/<slug>: one request to the upstream and its answer back, at the HTTP level
 * (MREG reads no message of it). Request headers go from an allow-list, with the server's own
 * credential in place of the caller's; answer headers come back from an allow-list. An event
 * stream is piped as it comes (each event bounded); any other answer is read whole, bounded, first.
 * The caller going away aborts the upstream request; the upstream failing mid-stream ends the
 * caller's stream.
 */

/** What a client may tell the upstream: never Authorization, Cookie, Host or X-Forwarded-*. */
const REQUEST_HEADERS = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'user-agent'] as const;
/** What the upstream may tell the client: never Set-Cookie, WWW-Authenticate (MREG's own challenge is the one that counts) or Location. */
const ANSWER_HEADERS = ['content-type', 'cache-control', 'mcp-session-id', 'mcp-protocol-version', 'allow', 'retry-after'] as const;

class AnswerTooLarge extends Error {}

export interface ForwardDeps {
  cache: Cache;
  policy: UpstreamPolicy;
  agents: AgentPool;
  callTimeoutMs: number;
  metrics: Metrics;
  logger: Logger;
}

export interface Forward {
  method: 'GET' | 'POST' | 'DELETE';
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  /** The id to answer MREG's own errors with. */
  id: JsonRpcId;
  server: PassThroughServer;
  owner: SessionOwner;
  /** The session id the request presented, already checked to be the owner's. */
  sessionId: string | undefined;
  /** Whether the caller's credential would still be admitted: an event stream that stays open asks now and then. */
  stillAdmitted(): Promise<boolean>;
}

/** Longest a POST's streamed answer may last in all, however often the upstream sends on it. */
export const MAX_STREAMED_ANSWER_MS = 30 * 60_000;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Splits an event stream at its events' ends (a blank line) so that only whole events are passed
 * on, and fails once one event holds more than `limit` bytes: a stream may live for hours, an event
 * may not be huge. A client acts on whole events only, so holding back the start of one delays
 * nothing it could see, and a refused event leaves no half of it with the client.
 */
export function eventSplitter(limit: number) {
  let held: Buffer[] = [];
  let count = 0;
  // Line ends in a row (CR, LF and CRLF each count once); two end an event.
  let lineEnds = 0;
  let afterCr = false;
  return {
    /** The whole events this chunk completes (with those held before), or undefined; throws AnswerTooLarge. */
    push(chunk: Buffer): Buffer | undefined {
      let boundary = -1;
      for (let i = 0; i < chunk.length; i += 1) {
        const byte = chunk[i]!;
        if (byte === 0x0a && afterCr) {
          // The LF of a CRLF: the line end was counted at its CR; an event that ended there takes it along.
          afterCr = false;
          if (boundary === i) boundary = i + 1;
          continue;
        }
        afterCr = byte === 0x0d;
        lineEnds = byte === 0x0a || byte === 0x0d ? lineEnds + 1 : 0;
        if (lineEnds >= 2) {
          lineEnds = 0;
          boundary = i + 1;
          count = 0;
        } else if (++count > limit) {
          throw new AnswerTooLarge(`an event larger than ${formatBytes(limit)}`);
        }
      }
      if (boundary < 0) {
        held.push(chunk);
        return undefined;
      }
      const out = Buffer.concat([...held, chunk.subarray(0, boundary)]);
      held = boundary < chunk.length ? [chunk.subarray(boundary)] : [];
      return out;
    },
    /** What is held when the stream ends (an event the upstream never finished). */
    rest: () => Buffer.concat(held),
  };
}

/** The body read whole, or undefined once it holds more than `limit` bytes (the rest is not read). */
async function readBounded(body: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The caller went away (the answer's end closed early, which aborted the upstream body), rather than the upstream failing. */
function isClientGone(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'UND_ERR_ABORTED' || (error as { name?: string } | null)?.name === 'AbortError';
}

export async function forward(deps: ForwardDeps, res: ServerResponse, call: Forward): Promise<PassThroughOutcome> {
  const { server, method, id } = call;
  const url = new URL(server.target.url);
  const secrets = secretsOf(server.target.auth);
  const named = `the MCP server "${server.slug}"`;
  const fail = (status: number, words: string) => jsonRpcRefusal(res, status, redact(`${named}: ${words}`, secrets), id);

  const headers: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) {
    const value = headerValue(call.headers[name]);
    if (value !== undefined) headers[name] = value;
  }
  for (const [name, value] of credentialHeaders(server.target.auth)) headers[name.toLowerCase()] = value;

  // The caller going away (or MREG ending the answer) aborts the upstream request.
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const listening = method === 'GET';
  const started = performance.now();
  let answer: Dispatcher.ResponseData;
  try {
    answer = await request(url, {
      method,
      headers,
      body: call.body,
      signal: abort.signal,
      dispatcher: deps.agents.get(server.id, server.version),
      headersTimeout: deps.callTimeoutMs,
      // A listening stream may stay quiet for hours; a POST's answer may not, past the call timeout.
      bodyTimeout: listening ? 0 : deps.callTimeoutMs,
    });
  } catch (error) {
    if (abort.signal.aborted) return 'client_gone';
    const refusal = findUpstreamError(error);
    const code = errorCode(error);
    const words =
      refusal?.message ??
      (code && networkWords(code, { url, connectTimeoutMs: deps.policy.connectTimeoutMs, answerTimeoutMs: deps.callTimeoutMs }, '', method)) ??
      'the request failed';
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    deps.logger.info({ server: server.id, code }, 'Pass-through: upstream not reached');
    fail(timeout ? 504 : 502, `${refusal ? '' : 'not reached: '}${words}`);
    return timeout ? 'upstream_timeout' : 'upstream_unreachable';
  }
  deps.metrics.passThroughUpstream(method, (performance.now() - started) / 1000);
  const { statusCode: status, headers: upstreamHeaders, body } = answer;
  // Destroying an undici body emits an AbortError, which would be uncaught (and end the process)
  // without a listener; reads see their errors through their own iterators.
  body.on('error', () => undefined);
  const drain = () => body.destroy();

  // Statuses that are about MREG's own dealings with the upstream, not the caller's request.
  if (status >= 300 && status < 400) {
    drain();
    fail(502, `the server answered ${status}, a redirect MREG does not follow (if the server moved, save its new URL)`);
    return 'upstream_refused';
  }
  if (status === 401 || status === 403) {
    drain();
    const words = server.target.auth.kind === 'none' ? 'it needs credentials' : "it refused MREG's credentials";
    fail(502, `the server answered ${status}: ${words} (a tenant admin can check the server's authentication)`);
    return 'upstream_refused';
  }
  if (status === 404 && !call.sessionId) {
    // Without a session, a 404 is the server's URL, not the caller's request: MREG's own 404 means "no such slug".
    drain();
    fail(502, 'the server answered 404: nothing at its URL (a tenant admin can check its path, e.g. /mcp)');
    return 'upstream_refused';
  }
  if (status >= 500) {
    drain();
    fail(502, `the server answered ${status}, a server error`);
    return 'upstream_refused';
  }

  // Sessions: the id the upstream gives is bound to the caller before the caller learns it.
  const given = headerValue(upstreamHeaders['mcp-session-id']);
  if (given && given !== call.sessionId) {
    const bound = await bindSession(deps.cache, server.id, given, call.owner);
    if (bound !== 'bound') {
      drain();
      if (bound === 'other') fail(502, 'the server gave a session id that belongs to another user; MREG does not hand it on');
      else fail(503, 'MREG could not record the new session (its cache did not answer); try again');
      return bound === 'other' ? 'upstream_refused' : 'upstream_unreachable';
    }
  }
  if (call.sessionId && ((method === 'DELETE' && status < 300) || status === 404)) {
    await dropSession(deps.cache, server.id, call.sessionId);
  }

  const answerHeaders: Record<string, string> = {};
  for (const name of ANSWER_HEADERS) {
    const value = headerValue(upstreamHeaders[name]);
    if (value !== undefined) answerHeaders[name] = value;
  }
  const limit = deps.policy.maxResponseBytes;
  const contentType = answerHeaders['content-type'] ?? '';

  if (status < 300 && /^text\/event-stream\b/i.test(contentType)) {
    // Passed on event by event, as they come: no length, no buffering in a proxy in front (X-Accel-Buffering).
    res.writeHead(status, { ...answerHeaders, 'cache-control': answerHeaders['cache-control'] ?? 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const events = eventSplitter(limit);
    // A stream outlives its request's checks: the credential is checked again as it goes (revoked,
    // the stream ends), and a POST's answer is bounded in all, progress or not.
    const end = () => {
      abort.abort();
      drain();
      res.destroy();
    };
    const admission = watchAdmission(call.stillAdmitted, end);
    const total = listening ? undefined : setTimeout(end, MAX_STREAMED_ANSWER_MS);
    res.once('close', () => {
      admission.stop();
      clearTimeout(total);
    });
    try {
      for await (const chunk of body) {
        const whole = events.push(chunk as Buffer);
        if (whole && !res.write(whole)) await once(res, 'drain', { signal: abort.signal });
      }
      res.end(events.rest());
    } catch (error) {
      drain();
      if (error instanceof AnswerTooLarge) {
        deps.logger.info({ server: server.id }, `Pass-through: event stream refused, ${error.message}`);
        // A POST's stream answers its request: that request gets MREG's error, and the stream ends.
        // A listening stream answers no request: it is ended, and the client may open another.
        if (id !== null && !res.destroyed) {
          const message = redact(`${named}: the answer held ${error.message}, which MREG does not pass on`, secrets);
          res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id })}\n\n`);
        } else {
          res.destroy();
        }
        return 'answer_too_large';
      }
      // The caller's stream ends with the upstream's.
      res.destroy();
      if (abort.signal.aborted || isClientGone(error)) return 'client_gone';
      deps.logger.info({ server: server.id, code: errorCode(error) }, 'Pass-through: event stream from the upstream failed');
      return 'upstream_unreachable';
    }
    return 'forwarded';
  }

  const declared = Number(headerValue(upstreamHeaders['content-length']) ?? Number.NaN);
  let whole: Buffer | undefined;
  try {
    whole = declared > limit ? undefined : await readBounded(body, limit);
  } catch (error) {
    if (abort.signal.aborted || isClientGone(error)) return 'client_gone';
    const code = errorCode(error);
    fail(code === 'UND_ERR_BODY_TIMEOUT' ? 504 : 502, networkWords(code ?? '', { url, connectTimeoutMs: deps.policy.connectTimeoutMs, answerTimeoutMs: deps.callTimeoutMs }, '', method) ?? 'the answer was cut short');
    return code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream_timeout' : 'upstream_unreachable';
  }
  if (!whole) {
    drain();
    fail(502, `the answer was larger than ${formatBytes(limit)}, which MREG does not pass on`);
    return 'answer_too_large';
  }
  res.writeHead(status, { ...answerHeaders, 'content-length': whole.byteLength });
  res.end(whole);
  return 'forwarded';
}
