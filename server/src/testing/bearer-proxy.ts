import { request as httpRequest } from 'node:http';
import { listenLoopback, type LoopbackServer } from './mcp-upstreams';

/**
 * An HTTP proxy on 127.0.0.1 that adds `Authorization: Bearer <secret>` to every request and
 * passes everything else on unchanged, the Host header included, both ways, streaming: for clients
 * that send no credentials of their own (the MCP conformance suite).
 */
export function startBearerProxy(target: string, secret: string): Promise<LoopbackServer> {
  const to = new URL(target);
  return listenLoopback((req, res) => {
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${secret}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    // The client going away ends the request it made through the proxy.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
}
