import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseMode, startTestApp, type TestApp } from '@mreg/server/testing/harness';
import { signInAs } from '@mreg/server/testing/sign-in';
import { TRPC_MAX_BATCH_SIZE } from '@mreg/shared';
import { createMregClient, isUnauthorized } from './index';

/** createMregClient against the real app, as an internal tool would use it, and the README's example script. */

const run = promisify(execFile);
const example = fileURLToPath(new URL('../examples/my-sessions.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe(`createMregClient (${databaseMode})`, () => {
  it('reads and changes my account with a session token, typed end to end', async () => {
    const { token } = await signInAs(app.url, 'uma@contoso.test');
    const client = createMregClient(app.url, { sessionToken: token });
    const me = await client.auth.user.query();
    expect(me.user.email).toBe('uma@contoso.test');
    expect(me.tenantContext?.tenantName).toBe('Contoso');

    // A state change passes the CSRF rule: the client sends the header and its origin.
    const profile = await client.auth.updateProfile.mutate({ bio: 'Set from a script' });
    expect(profile.bio).toBe('Set from a script');
    const sessions = await client.auth.sessions.query();
    expect(sessions.filter((s) => s.isCurrent)).toHaveLength(1);
  });

  it('reports UNAUTHORIZED for a token that is not a session, through onUnauthorized and the error', async () => {
    const seen: string[] = [];
    const client = createMregClient(app.url, { sessionToken: 'not-a-session', onUnauthorized: (error) => seen.push(error.message) });
    const failure = await client.auth.user.query().catch((error: unknown) => error);
    expect(isUnauthorized(failure)).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it(`sends at most ${TRPC_MAX_BATCH_SIZE} calls a request, splitting the calls made at once`, async () => {
    const { token } = await signInAs(app.url, 'ada@contoso.test');
    const sent: string[] = [];
    const client = createMregClient(app.url, {
      sessionToken: token,
      fetch: (input, init) => {
        sent.push(String(input));
        return fetch(input, init);
      },
    });
    const answers = await Promise.all(Array.from({ length: 25 }, () => client.auth.user.query()));
    expect(answers.map((me) => me.user.email)).toEqual(Array.from({ length: 25 }, () => 'ada@contoso.test'));
    const callsPerRequest = sent.map((url) => decodeURIComponent(new URL(url).pathname.split('/').pop()!).split(',').length);
    expect(callsPerRequest.sort((a, b) => a - b)).toEqual([5, 10, 10]);
  });

  it('refuses a token with characters a cookie cannot carry, before sending anything', () => {
    expect(() => createMregClient(app.url, { sessionToken: 'a; other=1' })).toThrow(/sessionToken must be the value of the session cookie/);
  });

  it("the README's example script prints my sessions, this one marked", async () => {
    const { token } = await signInAs(app.url, 'vic@fabrikam.test');
    await signInAs(app.url, 'vic@fabrikam.test');
    const { stdout } = await run(tsx, [example], { env: { ...process.env, MREG_URL: app.url, MREG_SESSION: token } });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('Vic Vance <vic@fabrikam.test>: 2 sessions');
    expect(lines.slice(1).filter((line) => line.startsWith('* '))).toHaveLength(1);
    expect(lines).toHaveLength(3);

    const refused = await run(tsx, [example], { env: { ...process.env, MREG_URL: app.url, MREG_SESSION: 'expired0' } }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('Not signed in at') });
  });
});
