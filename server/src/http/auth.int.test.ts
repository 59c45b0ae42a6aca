import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/harness';
import { signInAs, trpcQuery } from '../testing/sign-in';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('sign-in', () => {
  it('works', async () => {
    const { client, callback } = await signInAs(app.url, 'ada@contoso.test');
    expect(callback.location).toBe(`${app.url}/dashboard`);
    const me = await trpcQuery(client, app.url, 'auth.user');
    console.log(JSON.stringify(me, null, 1), app.outbound.requested);
  });
});
