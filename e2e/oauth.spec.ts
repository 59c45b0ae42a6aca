import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect, test, type Page } from '@playwright/test';
import { listenLoopback, startToyServer, type LoopbackServer, type ToyUpstream } from '@mreg/server/testing/mcp-upstreams';
import { MemoryOAuthProvider } from '@mreg/server/testing/oauth';
import { DEMO, signedInPage, signIn, watchProblems } from './support';

/**
 * Issue 20 end to end: the official MCP SDK client finds MREG's authorization server from /mcp,
 * registers itself, and sends the person (Playwright, through the development provider) to the
 * consent page; the code comes back to a loopback redirect URI, and the client calls a tool.
 */

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });
// One MREG for the whole run, and the grants of one test are what the next one lists.
test.describe.configure({ mode: 'serial' });

const baseURL = process.env.MREG_TEST_E2E_URL!;
const MCP = new URL(`${baseURL}/mcp`);
const SLUG = 'oauth-toy';
// Markup in a client's name is its own text, never the page's.
const MARKUP_NAME = 'E2E agent <img src=x onerror="document.title=1">';

let toy: ToyUpstream;
let callback: LoopbackServer;
/** The query of every request the loopback redirect URI received. */
const arrivals: URLSearchParams[] = [];
let serverId: string;

/** A tRPC mutation from the signed-in page, as the app's client sends it. */
async function mutate<T>(page: Page, path: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ([path, input]) => {
      const response = await fetch(`/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mreg-csrf': '1' },
        body: JSON.stringify(input),
      });
      const body = (await response.json()) as { result?: { data: unknown }; error?: unknown };
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body.error)}`);
      return body.result!.data as T;
    },
    [path, input] as const,
  );
}

test.beforeAll(async ({ browser }) => {
  toy = await startToyServer();
  callback = await listenLoopback((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // The browser asks for /favicon.ico too.
    if (url.pathname === '/callback') arrivals.push(url.searchParams);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
  });
  const page = await signedInPage(browser, DEMO.ada);
  const saved = await mutate<{ server: { id: string } }>(page, 'registry.create', { slug: SLUG, name: 'OAuth toy', url: toy.url });
  serverId = saved.server.id;
  await page.context().close();
});

test.afterAll(async ({ browser }) => {
  // One MREG serves every spec of a run: the servers spec expects Contoso to have none.
  if (serverId) {
    const page = await signedInPage(browser, DEMO.ada);
    await mutate(page, 'registry.remove', { id: serverId });
    await page.context().close();
  }
  await callback?.close();
  await toy?.close();
});

/** The SDK's client meets /mcp without a token: it discovers, registers, and asks for the browser. */
async function startFlow(name: string | undefined, state = `state-${Math.random().toString(36).slice(2)}`, resource = MCP) {
  const provider = new MemoryOAuthProvider(`${callback.origin}/callback`, name ?? null, state);
  const transport = new StreamableHTTPClientTransport(resource, { authProvider: provider });
  await expect(new Client({ name: 'e2e-oauth', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(provider.info?.client_id).toBeTruthy();
  expect(provider.authorizationUrl?.searchParams.get('code_challenge_method')).toBe('S256');
  expect(provider.authorizationUrl?.searchParams.get('resource')).toBe(resource.href);
  return { provider, transport, state };
}

/** Where the browser landed on the loopback redirect URI, and what came with it. */
async function returned(page: Page): Promise<URLSearchParams> {
  await page.waitForURL((url) => url.origin === callback.origin && url.pathname === '/callback');
  await expect(page.getByText('You can close this window.')).toBeVisible();
  return new URL(page.url()).searchParams;
}

/** A client with a fixed bearer token and no way to renew it, to see what the token alone may do. */
async function bearerClient(accessToken: string): Promise<Client> {
  const client = new Client({ name: 'e2e-oauth-bearer', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(MCP, { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
  return client;
}

async function tokenEndpoint(): Promise<string> {
  const metadata = (await (await fetch(`${baseURL}/.well-known/oauth-authorization-server`)).json()) as { token_endpoint: string };
  return metadata.token_endpoint;
}

/** A refresh as any client would send it: the raw answer, to read the RFC's error. */
async function refreshWith(clientId: string, refreshToken: string) {
  const response = await fetch(await tokenEndpoint(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource: MCP.href }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The page at a desktop's width and a 360 px phone's, in the light and the dark theme, kept with the test's results. */
async function look(page: Page, name: string) {
  const size = page.viewportSize()!;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: test.info().outputPath(`${name}-${scheme}.png`), fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.screenshot({ path: test.info().outputPath(`${name}-${scheme}-360.png`), fullPage: true });
    await page.setViewportSize(size);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const unauthorized = { code: 401 };

test('signed out, ada goes through sign-in to the consent page, approves Contoso with the keyboard, and the client calls a tool; refresh rotates, and a reused refresh token ends the grant', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const problems = await watchProblems(page);
  const { provider, transport, state } = await startFlow(MARKUP_NAME);

  // Not signed in: MREG's sign-in first, then back into the flow.
  await page.goto(provider.authorizationUrl!.href);
  const signInLink = page.getByRole('link', { name: 'Sign in', exact: true });
  const adaButton = page.getByRole('button', { name: /ada@contoso\.test/ });
  await expect(signInLink.or(adaButton)).toBeVisible();
  if (await signInLink.isVisible()) await signInLink.click();
  await adaButton.click();
  await expect(page).toHaveURL(/\/oauth\/consent\?request=[A-Za-z0-9_-]{43}$/);
  const consentUrl = page.url();

  await expect(page.getByRole('heading', { level: 1, name: 'Connect an MCP client' })).toBeFocused();
  const card = page.locator('.consent-card');
  await expect(card.getByText(MARKUP_NAME, { exact: true })).toBeVisible();
  await expect(card.locator('img')).toHaveCount(0);
  await expect(card).toContainText(/Sends you back to127\.0\.0\.1/);
  await expect(card).toContainText('Registered just now, not verified.');
  await expect(card).toContainText(`To use all of Contoso's MCP servers (${MCP.href}) as you, with your permissions as an admin of Contoso.`);
  await expect(card.getByRole('list', { name: 'Scopes' })).toContainText('mcp');
  const contoso = page.getByRole('radio', { name: /^Contoso/ });
  const fabrikam = page.getByRole('radio', { name: /^Fabrikam/ });
  await expect(contoso).toBeChecked();
  await expect(fabrikam).not.toBeChecked();
  await look(page, 'consent');

  // The keyboard alone: Tab from the heading reaches the chosen tenant, the arrows move the choice.
  await page.getByRole('heading', { level: 1 }).focus();
  await page.keyboard.press('Tab');
  await expect(contoso).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(fabrikam).toBeChecked();
  await expect(card).toContainText('with your permissions as a member of Fabrikam.');
  await page.keyboard.press('ArrowUp');
  await expect(contoso).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Approve' })).toBeFocused();
  await page.keyboard.press('Enter');

  const query = await returned(page);
  expect(query.get('state')).toBe(state);
  expect(query.get('error')).toBeNull();
  const code = query.get('code')!;
  expect(code).toBeTruthy();
  expect(arrivals.at(-1)?.get('code')).toBe(code);

  await transport.finishAuth(code);
  const first = provider.saved!;
  expect(first.access_token).toMatch(/^mreg_at_/);
  expect(first.refresh_token).toMatch(/^mreg_rt_/);
  expect(first.token_type.toLowerCase()).toBe('bearer');

  // A new transport with the same provider: the token is sent, and /mcp serves Contoso's tools.
  const client = new Client({ name: 'e2e-oauth', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(MCP, { authProvider: provider }));
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name)).toContain(`${SLUG}__echo`);
  expect(await client.callTool({ name: `${SLUG}__echo`, arguments: { text: 'hello through OAuth' } })).toMatchObject({
    content: [{ type: 'text', text: 'hello through OAuth' }],
  });
  await client.close();

  // Refresh, as the SDK does it: a new access token and a new refresh token; the new one works.
  expect(await auth(provider, { serverUrl: MCP })).toBe('AUTHORIZED');
  const second = provider.saved!;
  expect(second.access_token).not.toBe(first.access_token);
  expect(second.refresh_token).toMatch(/^mreg_rt_/);
  expect(second.refresh_token).not.toBe(first.refresh_token);
  const renewed = await bearerClient(second.access_token);
  expect((await renewed.listTools()).tools.map((tool) => tool.name)).toContain(`${SLUG}__echo`);

  // The first refresh token again, as a thief who copied it would: refused, and the whole grant ends.
  const clientId = provider.info!.client_id;
  expect(await refreshWith(clientId, first.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  await expect(renewed.listTools()).rejects.toMatchObject(unauthorized);
  await renewed.close();
  expect(await refreshWith(clientId, second.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  const challenge = await fetch(MCP, {
    method: 'POST',
    headers: { authorization: `Bearer ${second.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  expect(challenge.status).toBe(401);
  expect(challenge.headers.get('www-authenticate')).toContain('resource_metadata=');

  // The request was answered: its page says so rather than offering it again (the 404 is its answer).
  expect(problems()).toEqual([]);
  await page.goto(consentUrl);
  await expect(page.getByRole('heading', { level: 1, name: 'This request is no longer open' })).toBeVisible();
  await expect(page.getByText('This request has expired or was already answered.', { exact: false })).toBeVisible();
});

test('Deny sends error=access_denied to the client with its state unchanged, and nothing is issued', async ({ page }) => {
  await signIn(page, DEMO.ada);
  const state = 'deny/me += ü&x=1';
  const { provider } = await startFlow(undefined, state);
  await page.goto(provider.authorizationUrl!.href);
  await expect(page).toHaveURL(/\/oauth\/consent\?request=/);
  // A client that gave no name is not given one.
  await expect(page.locator('.consent-card')).toContainText('AppNo name given');
  await page.getByRole('button', { name: 'Deny' }).click();

  const query = await returned(page);
  expect(query.get('error')).toBe('access_denied');
  expect(query.get('state')).toBe(state);
  expect(query.get('code')).toBeNull();
});

test("for one server's address, a tenant without that server cannot be picked; with none that has it, only Deny is offered", async ({ page, browser }) => {
  const one = new URL(`${baseURL}/mcp/${SLUG}`);
  await signIn(page, DEMO.ada);
  const { provider } = await startFlow('One-server agent', undefined, one);
  await page.goto(provider.authorizationUrl!.href);
  const card = page.locator('.consent-card');
  await expect(card).toContainText(`To use the MCP server ${SLUG} (${one.href}) as you, with your permissions as an admin of Contoso.`);
  await expect(page.getByRole('radio', { name: /^Contoso/ })).toBeChecked();
  const fabrikam = page.getByRole('radio', { name: /^Fabrikam/ });
  await expect(fabrikam).toBeDisabled();
  await expect(fabrikam).toHaveAccessibleDescription(`No MCP server ${SLUG} here`);
  await look(page, 'consent-one-server');

  // vic belongs to Fabrikam alone, which has no such server: nothing to approve for.
  const vic = await signedInPage(browser, DEMO.vic);
  const second = await startFlow('One-server agent', undefined, one);
  await vic.goto(second.provider.authorizationUrl!.href);
  await expect(vic.getByRole('alert')).toContainText(`You cannot approve this request. None of your tenants has an MCP server ${SLUG}`);
  await expect(vic.getByRole('radio')).toHaveCount(0);
  await expect(vic.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await look(vic, 'consent-no-tenant');
  await vic.getByRole('button', { name: 'Deny' }).click();
  expect((await returned(vic)).get('error')).toBe('access_denied');
  await vic.context().close();
});

test('ada disconnects an app under Sessions, Connected apps: its token is refused at its next call; she sees it beside her sessions on Members first', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const problems = await watchProblems(page);
  await signIn(page, DEMO.ada);
  const { provider, transport } = await startFlow('E2E revoke agent');
  await page.goto(provider.authorizationUrl!.href);
  await page.getByRole('button', { name: 'Approve' }).click();
  const query = await returned(page);
  await transport.finishAuth(query.get('code')!);
  const client = await bearerClient(provider.saved!.access_token);
  await client.callTool({ name: `${SLUG}__echo`, arguments: { text: 'once' } });

  // The admin's view: on Members, beside her own sessions.
  await page.goto('/members');
  await page.getByRole('button', { name: /^Actions for Ada/ }).click();
  await page.getByRole('menuitem', { name: 'Show sessions & apps' }).click();
  const theirs = page.getByRole('region', { name: /^Connected apps of Ada/ });
  await expect(theirs.getByRole('listitem')).toHaveCount(1);
  await expect(theirs).toContainText('E2E revoke agent');
  await expect(theirs).toContainText("All of Contoso's MCP servers");

  await page.goto('/sessions');
  const section = page.getByRole('region', { name: 'Connected apps' });
  // The first test's grant ended when its refresh token was reused: only this one is left.
  const row = section.getByRole('row', { name: /E2E revoke agent/ });
  await expect(section.getByRole('row')).toHaveCount(2);
  await expect(row).toContainText('Contoso');
  await expect(row).toContainText("All of Contoso's MCP servers");
  await expect(row).toContainText(/Returns to 127\.0\.0\.1/);
  await look(page, 'connected-apps');

  await row.getByRole('button', { name: 'Disconnect E2E revoke agent (Contoso)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Disconnect E2E revoke agent?' });
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Disconnected E2E revoke agent from Contoso: it no longer works.' })).toBeVisible();
  await expect(section.getByText('No MCP client is connected.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Connected apps' })).toBeFocused();

  await expect(client.callTool({ name: `${SLUG}__echo`, arguments: { text: 'again' } })).rejects.toMatchObject(unauthorized);
  await client.close();
  expect(await refreshWith(provider.info!.client_id, provider.saved!.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(problems()).toEqual([]);
});

test('a tenant admin disconnects a member’s app from Members: the member’s token is refused at its next call', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const uma = await signedInPage(browser, DEMO.uma);
  const { provider, transport } = await startFlow('Uma agent');
  await uma.goto(provider.authorizationUrl!.href);
  // uma belongs to Contoso only: it is chosen, with a member's permissions.
  await expect(uma.getByRole('radio', { name: /^Contoso/ })).toBeChecked();
  await expect(uma.locator('.consent-card')).toContainText('with your permissions as a member of Contoso.');
  await uma.getByRole('button', { name: 'Approve' }).click();
  await transport.finishAuth((await returned(uma)).get('code')!);
  const client = await bearerClient(provider.saved!.access_token);
  await client.listTools();
  await uma.context().close();

  await signIn(page, DEMO.ada);
  await page.goto('/members');
  await page.getByRole('button', { name: /^Actions for Uma/ }).click();
  await page.getByRole('menuitem', { name: 'Show sessions & apps' }).click();
  const theirs = page.getByRole('region', { name: /^Connected apps of Uma/ });
  await expect(theirs).toContainText('Uma agent');
  await look(page, 'member-connected-apps');
  await theirs.getByRole('button', { name: /^Disconnect Uma agent of Uma/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Disconnect Uma agent from Uma/ });
  await dialog.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Disconnected Uma agent of Uma .* in Contoso: it no longer works\.$/ })).toBeVisible();
  await expect(theirs).toContainText('No MCP client is connected in Contoso.');
  await expect(client.listTools()).rejects.toMatchObject(unauthorized);
  await client.close();
});

test('an expired, answered or unknown request, and an address cut short, each say to start again from the client', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto(`/oauth/consent?request=${'A'.repeat(43)}`);
  await expect(page.getByRole('heading', { level: 1, name: 'This request is no longer open' })).toBeVisible();
  await expect(page.getByText('This request has expired or was already answered. Start again from your MCP client')).toBeVisible();
  await page.goto('/oauth/consent?request=short');
  await expect(page.getByRole('heading', { level: 1, name: 'This link is incomplete' })).toBeVisible();
  await expect(page.getByText('This address does not name a sign-in request from an MCP client')).toBeVisible();
  await look(page, 'consent-gone');
});
