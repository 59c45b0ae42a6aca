import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { CookieClient } from '../../testing/cookie-client';
import { createDatabaseTarget, type DatabaseTarget } from '../../testing/harness';
import { freePort, spawnServer, TSX_IMPORT, type ServerProcess } from '../../testing/processes';
import { signInAs, trpcMutation } from '../../testing/sign-in';

/**
 * kill -9 of MREG during a burst of member changes: every change that committed has its event, and
 * no event exists for a change that did not. Each stream flips one member's role between member and
 * viewer, one change after another; so the number of role_changed events of a member must match
 * where their role ended (even: member, odd: viewer), each event must name the role it set in
 * turn, and the count lies between the changes acknowledged and those sent. The server runs as its
 * own process (from source) on a database of this test, which outlives it.
 */

const MAIN = new URL('../../main.ts', import.meta.url).pathname;
const [CONTOSO] = DEMO_TENANTS;
const STREAMS = 4;
const WRITE_MS = 2500;
const MAX_CHANGES_PER_STREAM = 1000;
const START_TIMEOUT_MS = 60_000;

let server: ServerProcess | undefined;
let target: DatabaseTarget | undefined;
let cwd: string | undefined;

afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await server?.exit;
  await target?.drop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('the audit log across a kill -9', () => {
  it('has an event for every committed member change, and none for a change that did not commit', { timeout: 120_000 }, async () => {
    target = await createDatabaseTarget();
    cwd = await mkdtemp(join(tmpdir(), 'mreg-audit-kill-'));
    server = spawnServer(
      ['--import', TSX_IMPORT, MAIN],
      { MREG_PORT: String(await freePort()), MREG_DATA_DIR: target.dataDir, MREG_DATABASE_URL: target.databaseUrl, MREG_TRPC_RATE_LIMIT: '10000000' },
      cwd,
    );
    const url = await server.listening(START_TIMEOUT_MS);
    const db = new pg.Client({ connectionString: target.databaseUrl });
    await db.connect();
    try {
      // The people whose roles flip: members of Contoso, known to MREG.
      const people: string[] = [];
      for (let i = 0; i < STREAMS; i++) {
        const { rows } = await db.query<{ id: string }>(`insert into users (external_id, email, name, roles) values ($1, $2, $2, '[]') returning id`, [
          `kill-${i}`,
          `kill${i}@example.test`,
        ]);
        await db.query(`insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active) values ($1, $2, 'member', '[]', true)`, [rows[0]!.id, CONTOSO.id]);
        people.push(rows[0]!.id);
      }
      const { token } = await signInAs(url, 'ada@contoso.test');

      let killed = false;
      const started = performance.now();
      const streams = people.map(async (userId) => {
        const client = new CookieClient({ cookie: `mreg_session=${token}` });
        const state = { acked: 0, sent: 0 };
        while (!killed && performance.now() - started < 30_000 && state.sent < MAX_CHANGES_PER_STREAM) {
          const n = ++state.sent;
          let status: number;
          try {
            status = (await trpcMutation(client, url, 'tenants.updateMember', { userId, role: n % 2 === 1 ? 'viewer' : 'member' })).status;
          } catch {
            break; // the connection died with the server
          }
          if (status !== 200) throw new Error(`change ${n} answered ${status} before the kill`);
          state.acked = n;
        }
        return state;
      });
      await new Promise((resolve) => setTimeout(resolve, WRITE_MS));
      server.child.kill('SIGKILL');
      killed = true;
      await server.exit;
      const sent = await Promise.all(streams);

      const found: string[] = [];
      for (const [i, userId] of people.entries()) {
        const { rows: events } = await db.query<{ role: string; previous: string }>(
          `select details->>'role' as role, details->>'previousRole' as previous from audit_events
            where action = 'member.role_changed' and target_id = $1 and tenant_id = $2 order by id`,
          [userId, CONTOSO.id],
        );
        const { rows: membership } = await db.query<{ role: string }>(`select role from user_tenant_memberships where user_id = $1 and tenant_id = $2`, [userId, CONTOSO.id]);
        const { acked, sent: tried } = sent[i]!;
        found.push(`${events.length} events for ${acked} acknowledged / ${tried} sent`);
        expect(acked, `stream ${i} got no change acknowledged before the kill`).toBeGreaterThan(0);
        expect(events.length).toBeGreaterThanOrEqual(acked);
        expect(events.length).toBeLessThanOrEqual(tried);
        // The committed changes, in order, each with its event: the role where it ended is the last event's.
        events.forEach((event, n) => expect(event).toEqual({ role: n % 2 === 0 ? 'viewer' : 'member', previous: n % 2 === 0 ? 'member' : 'viewer' }));
        expect(membership[0]!.role).toBe(events.length % 2 === 1 ? 'viewer' : 'member');
      }
      console.log(`[audit-kill] SIGKILL after ${WRITE_MS} ms of member changes in ${STREAMS} streams: ${found.join('; ')}`);
    } finally {
      await db.end();
    }
  });
});
