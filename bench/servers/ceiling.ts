/**
 * The ceiling: a bare Express 5 server answering a fixed small JSON, the most any Express app on
 * this machine can serve. Prints `LISTENING <url>` once it listens on a free loopback port.
 */
import express from 'express';

const app = express();
const body = { email: process.env.BENCH_EMAIL ?? 'ada@example.com' };
app.get('/user', (_req, res) => {
  res.json(body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`LISTENING http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
