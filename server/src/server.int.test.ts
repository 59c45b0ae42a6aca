import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_TIMEOUTS, listen, type Listener } from './server';
import { databaseMode, startTestApp, type TestApp } from './testing/harness';

/**
 * Issue 17, point 8: slow or idle connections are closed by the server, and connections beyond
 * MREG_MAX_CONNECTIONS are refused. Raw sockets on 127.0.0.1, each given up on after a few seconds.
 */

const listeners: Listener[] = [];
const apps: TestApp[] = [];
afterEach(async () => {
  for (const { server } of listeners.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** Longer than any limit below, far shorter than Node's own (60 s for headers, 300 s per request). */
const GIVE_UP_MS = 5000;

interface Probe {
  /** What the server sent. */
  received(): string;
  /** When the server closed the connection (ms after it opened), or 'open' if it had not after GIVE_UP_MS. */
  closed: Promise<number | 'open'>;
  write(text: string): void;
  end(): void;
}

/** A raw connection to 127.0.0.1:`port`, once connected; `trickle` sends a piece every `everyMs` until closed. */
async function open(port: number, trickle?: { first: string; next: string; everyMs: number }): Promise<Probe> {
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let received = '';
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<number | 'open'>((resolve) => {
    const giveUp = setTimeout(() => {
      resolve('open');
      socket.destroy();
    }, GIVE_UP_MS);
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearInterval(timer);
      resolve(performance.now() - started);
    });
  });
  await once(socket, 'connect');
  if (trickle) {
    socket.write(trickle.first);
    timer = setInterval(() => socket.writable && socket.write(trickle.next), trickle.everyMs);
  }
  return { received: () => received, closed, write: (text) => socket.write(text), end: () => socket.end() };
}

describe('connection limits', () => {
  const limits = { headersTimeoutMs: 400, requestTimeoutMs: 900, keepAliveTimeoutMs: 300, checkIntervalMs: 50 };

  async function served(): Promise<number> {
    const listener = await listen(0, '127.0.0.1', limits);
    listeners.push(listener);
    listener.serve((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('ok'), req.url === '/slow-answer' ? 1500 : 0));
    });
    return listener.port;
  }

  it('are suited to a web app by default: 10 s for the headers, 30 s for the whole request, 5 s kept alive idle', async () => {
    const listener = await listen(0, '127.0.0.1');
    listeners.push(listener);
    expect(CONNECTION_TIMEOUTS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000, checkIntervalMs: 1000 });
    expect(listener.server.headersTimeout).toBe(10_000);
    expect(listener.server.requestTimeout).toBe(30_000);
    expect(listener.server.keepAliveTimeout).toBe(5000);
    expect(listener.server.maxConnections).toBeUndefined();
  });

  it('close connections that send nothing, trickle their headers or their body, with 408', async () => {
    const port = await served();
    const trickleHeaders = { first: 'GET / HTTP/1.1\r\nHost: mreg.test\r\n', next: 'X-Slow: 1\r\n', everyMs: 100 };
    const trickleBody = { first: 'POST / HTTP/1.1\r\nHost: mreg.test\r\nContent-Length: 10000\r\n\r\n', next: 'x', everyMs: 100 };
    const idle = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    const slowHeaders = await Promise.all(Array.from({ length: 60 }, () => open(port, trickleHeaders)));
    const slowBodies = await Promise.all(Array.from({ length: 20 }, () => open(port, trickleBody)));

    const closedAt = async (probes: Probe[]) => Promise.all(probes.map((p) => p.closed));
    for (const [what, probes, limit] of [
      ['idle', idle, limits.headersTimeoutMs],
      ['slow headers', slowHeaders, limits.headersTimeoutMs],
      ['slow body', slowBodies, limits.requestTimeoutMs],
    ] as const) {
      const times = await closedAt(probes);
      expect(times.filter((t) => t === 'open'), `${what}: still open after ${GIVE_UP_MS} ms`).toEqual([]);
      // Not before the limit; after it, within a few checks (generous: two shared cores).
      for (const t of times as number[]) {
        expect(t, what).toBeGreaterThanOrEqual(limit - 50);
        expect(t, what).toBeLessThan(limit + 2000);
      }
      expect(new Set(probes.map((p) => p.received().split('\r\n')[0])), what).toEqual(new Set(['HTTP/1.1 408 Request Timeout']));
    }
  });

  it('do not cut a slow answer to a complete request, and close a kept-alive connection left idle', async () => {
    const port = await served();
    const slowAnswer = await open(port);
    slowAnswer.write('GET /slow-answer HTTP/1.1\r\nHost: mreg.test\r\n\r\n');
    const kept = await open(port);
    kept.write('GET / HTTP/1.1\r\nHost: mreg.test\r\n\r\n');

    // Idle after its answer: closed after the keep-alive time (Node adds a second's grace to it).
    const keptClosed = await kept.closed;
    expect(kept.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    expect(keptClosed).not.toBe('open');
    expect(keptClosed).toBeGreaterThanOrEqual(limits.keepAliveTimeoutMs);
    expect(keptClosed).toBeLessThan(limits.keepAliveTimeoutMs + 1000 + 2000);

    // 1.5 s to answer, beyond the request limit (0.9 s), which counts only the receiving.
    await expect.poll(() => slowAnswer.received(), { timeout: GIVE_UP_MS }).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    slowAnswer.end();
  });
});

describe(`MREG_MAX_CONNECTIONS (${databaseMode})`, () => {
  it('closes connections beyond the cap at once and unanswered, says so in the log, and takes new ones once below it', async () => {
    const a = await startTestApp({ env: { MREG_MAX_CONNECTIONS: '3' } });
    apps.push(a);
    const port = Number(new URL(a.url).port);
    const held = await Promise.all(Array.from({ length: 3 }, () => open(port)));
    // Past the cap: the server accepts nothing more, so a request gets no answer at all.
    const refused = await Promise.all(Array.from({ length: 5 }, () => open(port)));
    for (const probe of refused) probe.write('GET /healthz HTTP/1.1\r\nHost: mreg.test\r\n\r\n');
    for (const probe of refused) {
      const closedAt = await probe.closed;
      expect(closedAt).not.toBe('open');
      expect(closedAt).toBeLessThan(1000);
      expect(probe.received()).toBe('');
    }
    expect(a.logs.filter((line) => line.includes('MREG_MAX_CONNECTIONS (3) reached'))).toHaveLength(1);

    held[0]!.end();
    await held[0]!.closed;
    const again = await open(port);
    again.write('GET /healthz HTTP/1.1\r\nHost: mreg.test\r\nConnection: close\r\n\r\n');
    expect(await again.closed).not.toBe('open');
    expect(again.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(a.settings.maxConnections).toBe(3);
  });
});
