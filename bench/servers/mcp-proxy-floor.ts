/**
 * The floor of any HTTP-level MCP proxy on this machine: a bare Node.js HTTP server that passes
 * each request to BENCH_UPSTREAM with undici and streams the answer back, with nothing else (no
 * Express, no authentication, no limits, no logs). What /mcp/<slug> costs above it is MREG's own
 * work. Prints `LISTENING <url>` once it listens on a free loopback port.
 */
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const upstream = new URL(process.env.BENCH_UPSTREAM ?? '');
const agent = new Agent({ connections: 64 });
const PASSED = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];

const server = createServer(async (req, res) => {
  try {
    const headers: Record<string, string> = {};
    for (const name of PASSED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await request(upstream, {
      method: req.method as 'GET' | 'POST' | 'DELETE',
      headers,
      body: req.method === 'POST' ? req : undefined,
      dispatcher: agent,
    });
    const back: Record<string, string> = {};
    for (const name of ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'cache-control']) {
      const value = answer.headers[name];
      if (typeof value === 'string') back[name] = value;
    }
    res.writeHead(answer.statusCode, back);
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`LISTENING http://127.0.0.1:${port}/mcp`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
