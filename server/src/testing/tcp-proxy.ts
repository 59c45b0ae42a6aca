import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * A loopback TCP proxy in front of a real PostgreSQL or Redis, so a test can make the service
 * vanish (connections cut, new ones reset), or hang (connections kept open, nothing answered), and
 * come back without touching the shared server.
 */
export interface TcpProxy {
  port: number;
  /** Cuts every open connection and resets new ones until `restore()`. */
  cut(): void;
  /** Keeps every connection open but forwards nothing either way until `restore()`. */
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}

/** `targetHost` may be a directory holding a PostgreSQL Unix socket (`.s.PGSQL.<port>`), as in an embedded cluster's URL. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let mode: 'up' | 'down' | 'frozen' = 'up';
  const dial = () =>
    targetHost.startsWith('/') ? connect({ path: join(targetHost, `.s.PGSQL.${targetPort}`) }) : connect(targetPort, targetHost);
  const link = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server = createServer((client) => {
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const upstream = dial();
    const pair: [Socket, Socket] = [client, upstream];
    for (const s of pair) {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        pairs.delete(pair);
      });
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pairs.add(pair);
    if (mode === 'up') link(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    cut() {
      mode = 'down';
      // A reset (RST) is for TCP; an upstream on a Unix socket is simply closed.
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        if (upstream.remoteFamily) upstream.resetAndDestroy();
        else upstream.destroy();
      }
    },
    freeze() {
      mode = 'frozen';
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      if (mode === 'frozen') for (const pair of pairs) link(pair);
      mode = 'up';
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A PostgreSQL URL (TCP or an embedded cluster's socket) proxied: the same credentials and database, through `127.0.0.1:<proxy port>`. */
export async function proxyPostgres(databaseUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
  const upstream = new URL(databaseUrl);
  const proxy = await startTcpProxy(decodeURIComponent(upstream.hostname), Number(upstream.port || 5432));
  const url = new URL(upstream);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}
