import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startChild, type ChildServer } from './processes';

/** Debian's HAProxy (package haproxy; the test command installs it where it is missing). */
export const HAPROXY = '/usr/sbin/haproxy';

export interface Backend {
  name: string;
  port: number;
}

/**
 * The load balancer of the topology tests, and of README.md's "Running several instances" (which
 * shows `haproxyConfig({ port: 8080, backends: mreg1 on 8001, mreg2 on 8002 })`, checked by
 * haproxy.test.ts): round robin with no stickiness; each instance taken out when /readyz fails
 * twice (a draining instance answers 503 there) and back after two successes. The tests add
 * `observe`: the answering instance's name in `X-Served-By`, and HAProxy's statistics on a loopback
 * port, for them to read.
 */
export function haproxyConfig({ port, backends, observe }: { port: number; backends: Backend[]; observe?: { statsPort: number } }): string {
  const config = `global
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
  timeout http-keep-alive 5s
  option forwardfor
  # Connections to the instances are kept alive and reused. A request whose connection an instance
  # refused (it died) is sent to another: it never reached the first. One that got no answer (the
  # instance died while answering, or closed the connection as idle just as it was sent) is sent
  # again only if it is a GET, which changes nothing (backend, below): a POST (a tool call, a token
  # exchange) might have run, and must not run twice.
  option http-buffer-request
  retries 2
  option redispatch 1
  retry-on conn-failure empty-response

frontend mreg
  bind 127.0.0.1:${port}
  default_backend instances

backend instances
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  http-request disable-l7-retry unless METH_GET
  default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
${backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`).join('\n')}
`;
  if (!observe) return config;
  return `${config}  http-response set-header X-Served-By %[srv_name]

listen stats
  bind 127.0.0.1:${observe.statsPort}
  stats enable
  stats uri /stats
`;
}

export interface Haproxy {
  url: string;
  child: ChildProcess;
  /** What HAProxy's health checks say of each instance now: 'UP', 'DOWN', 'NOLB', 'MAINT', with transitions like 'UP 1/2'. */
  states(): Promise<Record<string, string>>;
  /** Waits until HAProxy says `name` is `state` (exactly, or as the start of a transition). */
  waitFor(name: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export async function startHaproxy(backends: Backend[], port?: number): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'mreg-haproxy-'));
  const chosen = port ?? (await freePort());
  const statsPort = await freePort();
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, haproxyConfig({ port: chosen, backends, observe: { statsPort } }));

  const states = async () => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, { signal: AbortSignal.timeout(2000) })).text();
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = header!.split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((c) => columns.indexOf(c));
    return Object.fromEntries(rows.map((r) => r.split(',')).filter((r) => r[px!] === 'instances' && r[sv!] !== 'BACKEND').map((r) => [r[sv!], r[status!]]));
  };
  let server: ChildServer;
  try {
    // Ready once its statistics answer.
    server = await startChild(HAPROXY, ['-f', file, '-db'], {
      ready: () => states().then(() => true, () => false),
      timeoutMs: 10_000,
      missing: "the topology tests need Debian's haproxy; run `node scripts/ensure-packages.mjs` (pnpm test does)",
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await server.kill();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    url: `http://127.0.0.1:${chosen}`,
    child: server.child,
    states,
    async waitFor(name, state, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      let last: string | undefined;
      while (Date.now() < until) {
        last = (await states())[name];
        if (last === state || (state === 'DOWN' && last?.startsWith('DOWN'))) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`haproxy: ${name} is ${last}, not ${state}, after ${timeoutMs} ms`);
    },
    output: server.output,
    stop,
  };
}
