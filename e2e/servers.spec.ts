import { createServer } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { startEverythingServer, type TestUpstream } from '@mreg/server/testing/mcp-upstreams';
import { DEMO, shot, shotBothWidths, signedInPage, signIn, switchTenant, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });
// One MREG for the whole run: the servers added here are seen by the tests after them.
test.describe.configure({ mode: 'serial' });

const TOKEN = 'e2e-upstream-token';
// The reference MCP server on loopback, and one that wants a bearer token.
let everything: TestUpstream;
let guarded: TestUpstream;

test.beforeAll(async () => {
  [everything, guarded] = await Promise.all([startEverythingServer(), startEverythingServer({ token: TOKEN })]);
});
test.afterAll(async () => {
  await Promise.all([everything?.close(), guarded?.close()]);
});

/** An MCP URL on loopback where nothing listens (a port just opened and closed again). */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/mcp`;
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });

async function addServer(page: Page, { name, url }: { name: string; url: string }) {
  await page.goto('/servers/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('URL').fill(url);
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

test('ada adds the everything server: tests the connection, saves, and sees its tools', async ({ page }) => {
  const problems = await watchProblems(page);
  await signIn(page, DEMO.ada);
  await nav(page).getByRole('link', { name: 'Servers' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Servers' })).toBeFocused();
  await expect(page.getByText('No MCP servers in Contoso yet.')).toBeVisible();
  await shotBothWidths(page, 'servers-empty');

  await page.getByRole('link', { name: 'Add a server' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Add a server' })).toBeFocused();
  // The slug follows the name until it is typed.
  await page.getByLabel('Name', { exact: true }).fill('Everything Demo!');
  await expect(page.getByLabel('Slug')).toHaveValue('everything-demo');

  // The shared schema speaks first, beside the field, and nothing is sent.
  const creates: string[] = [];
  page.on('request', (request) => request.url().includes('registry.create') && creates.push(request.url()));
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByLabel('URL')).toBeFocused();
  await expect(page.getByLabel('URL')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.field-error')).toHaveText(['URL is required']);
  await page.getByLabel('URL').fill('ftp://example.com/mcp');
  await expect(page.locator('.field-error')).toHaveText(['URL must start with http:// or https://, not ftp://']);
  expect(creates).toEqual([]);

  await page.getByLabel('URL').fill(everything.url);
  await page.getByLabel('Slug').fill('everything');
  await page.getByLabel('Name', { exact: true }).fill('Everything');
  await expect(page.getByLabel('Slug')).toHaveValue('everything');
  await page.getByLabel('Description').fill('The MCP reference server: a bit of every feature.');
  await page.getByRole('button', { name: 'Test connection' }).click();
  const tested = status(page, 'Connected');
  await expect(tested).toContainText('mcp-servers/everything 2.0.0');
  await expect(tested).toContainText(/\d+ tools, \d+ resources \(templates included\), \d+ prompts/);
  await shotBothWidths(page, 'server-form');

  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Everything' })).toBeFocused();
  await expect(page).toHaveURL(/\/servers\/[0-9a-f-]{36}$/);
  await expect(status(page, 'Added Everything.')).toContainText(/Found \d+ tools in \d+ ms\./);
  expect(creates).toHaveLength(1);

  // Its tools, with their parameters in words.
  const echo = page.getByRole('article', { name: 'Tool echo' });
  await expect(echo).toContainText('Echoes back the input string');
  await expect(echo.getByRole('listitem').filter({ hasText: 'message' })).toContainText(/message\s*string\s*required\s*Message to echo/);
  await expect(page.getByRole('article', { name: 'Tool get-sum' })).toContainText('First number');
  await expect(page.getByRole('region', { name: 'Prompts' })).toContainText('args-prompt');
  await expect(page.getByRole('region', { name: 'Resource templates' })).toContainText('demo://resource/dynamic/text/{resourceId}');
  await expect(page.getByRole('region', { name: 'Resources' })).toContainText('architecture.md');
  await expect(page.locator('.status-badge')).toHaveText(/Healthy/);
  await shotBothWidths(page, 'server-page');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'server-page-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByRole('link', { name: '← All servers' }).click();
  const row = page.getByRole('row', { name: /Everything/ });
  await expect(row).toContainText('everything');
  await expect(row).toContainText('Healthy');
  await expect(row.getByRole('cell').nth(2)).toHaveText(/^\d+$/);
  await shotBothWidths(page, 'servers-list');
  expect(problems()).toEqual([]);
});

test("the server's refusals go beside their fields; a server out of reach is saved all the same, and says why", async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/servers/new');
  await page.getByLabel('Name', { exact: true }).fill('Nowhere');
  await page.getByLabel('Slug').fill('everything');
  await page.getByLabel('URL').fill(everything.url);
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.locator('.field-error')).toHaveText(/^Slug: everything is already taken by another server in Contoso/);
  await expect(page.getByLabel('Slug')).toBeFocused();

  await page.getByLabel('Slug').fill('nowhere');
  await page.getByLabel('URL').fill(await closedPortUrl());
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(status(page, 'Could not connect.')).toContainText('connection refused');
  await shotBothWidths(page, 'server-form-unreachable');

  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Nowhere' })).toBeFocused();
  await expect(status(page, 'Added Nowhere, but it could not be reached')).toContainText('The server is saved all the same');
  await expect(page.getByText('Nothing discovered yet.')).toBeVisible();
  await shotBothWidths(page, 'server-page-unreachable');

  await page.getByRole('link', { name: '← All servers' }).click();
  const row = page.getByRole('row', { name: /Nowhere/ });
  await expect(row).toContainText(/Last error: .*connection refused/);
  await expect(row).toContainText('Not discovered yet');
  await shotBothWidths(page, 'servers-list-problem');
});

test('a bearer token is write-only: kept when the field is left empty, and used by the test', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/servers/new');
  await page.getByLabel('Name', { exact: true }).fill('Guarded');
  await page.getByLabel('URL').fill(guarded.url);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(status(page, 'Could not connect.')).toBeVisible();

  await page.getByLabel('Bearer token').check();
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.locator('.field-error')).toHaveText(['Token must not be empty']);
  await expect(page.getByLabel('Token', { exact: true })).toBeFocused();
  await page.getByLabel('Token', { exact: true }).fill(TOKEN);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(status(page, 'Connected')).toBeVisible();
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(status(page, 'Added Guarded.')).toContainText(/Found \d+ tools/);
  await expect(page.getByText('A bearer token (saved, not shown)')).toBeVisible();

  await page.getByRole('link', { name: 'Edit Guarded' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Edit a server' })).toBeFocused();
  const token = page.getByLabel('Token', { exact: true });
  await expect(token).toHaveValue('');
  await expect(page.getByText('Saved; enter a new value to replace it.')).toBeVisible();
  // The stored token stands in for the empty field.
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(status(page, 'Connected')).toBeVisible();
  await shotBothWidths(page, 'server-form-edit');
  // A wrong token replaces it only when saved; the test says the server refuses it.
  await token.fill('not-the-token');
  await expect(status(page, 'Connected')).toHaveCount(0);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(status(page, 'Could not connect.')).toBeVisible();
  await token.fill('');
  await page.getByLabel('Description').fill('Wants a bearer token.');
  const updates: string[] = [];
  page.on('request', (request) => request.method() === 'POST' && request.url().includes('registry.update') && updates.push(request.postData() ?? ''));
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(status(page, 'Saved the changes to Guarded.')).toBeVisible();
  expect(updates).toHaveLength(1);
  expect(updates[0]).not.toContain('auth');
  await expect(page.getByText('Wants a bearer token.')).toBeVisible();
  // Still reached with the stored token.
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(status(page, 'Refreshed Guarded.')).toContainText(/Found \d+ tools/);
});

test('ada disables, enables and deletes a server; its address then shows that there is no such server', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await addServer(page, { name: 'Short-lived', url: everything.url });
  const address = page.url();

  await page.getByRole('button', { name: 'Disable' }).click();
  await expect(status(page, 'Disabled Short-lived')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enable' })).toBeFocused();
  await expect(page.locator('.status-badge')).toHaveText(/Disabled/);
  await expect(page.getByRole('button', { name: 'Refresh' })).toBeDisabled();
  await page.getByRole('button', { name: 'Enable' }).click();
  await expect(status(page, 'Enabled Short-lived again.')).toContainText(/Found \d+ tools/);

  await page.getByRole('button', { name: 'Delete Short-lived' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete Short-lived?' });
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await shotBothWidths(page, 'server-delete');
  await dialog.getByRole('button', { name: 'Delete server' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Servers' })).toBeFocused();
  await expect(status(page, 'Deleted Short-lived')).toBeVisible();
  await expect(page.getByRole('row', { name: /Short-lived/ })).toHaveCount(0);

  await page.goto(address);
  await expect(page.getByRole('heading', { level: 1, name: 'No such server here' })).toBeVisible();
  await expect(page.getByText('It may have been removed, or it belongs to another tenant.')).toBeVisible();
});

test("vic, Fabrikam's viewer, sees Fabrikam's servers read-only; Contoso's are no such server for her", async ({ page, browser }) => {
  // ada is a member of Fabrikam: she switches there and adds one.
  await signIn(page, DEMO.ada);
  await page.goto('/servers');
  const contosoServer = await page.getByRole('link', { name: 'Everything', exact: true }).getAttribute('href');
  await switchTenant(page, 'Fabrikam · member');
  await page.goto('/servers');
  await expect(page.getByText('No MCP servers in Fabrikam yet.')).toBeVisible();
  await addServer(page, { name: 'Fabrikam tools', url: everything.url });

  const vic = await signedInPage(browser, DEMO.vic);
  await nav(vic).getByRole('link', { name: 'Servers' }).click();
  await expect(vic.getByRole('heading', { level: 1, name: 'Servers' })).toBeFocused();
  await expect(vic.getByRole('row', { name: /Fabrikam tools/ })).toContainText('Healthy');
  await expect(vic.getByRole('link', { name: 'Add a server' })).toHaveCount(0);
  await shotBothWidths(vic, 'servers-viewer');

  await vic.getByRole('link', { name: 'Fabrikam tools' }).click();
  await expect(vic.getByRole('heading', { level: 1, name: 'Fabrikam tools' })).toBeFocused();
  await expect(vic.getByRole('article', { name: 'Tool echo' })).toBeVisible();
  for (const name of ['Refresh', 'Disable', 'Edit Fabrikam tools', 'Delete Fabrikam tools']) {
    await expect(vic.getByRole('button', { name }).or(vic.getByRole('link', { name }))).toHaveCount(0);
  }
  await shotBothWidths(vic, 'server-page-viewer');

  await vic.goto('/servers/new');
  await expect(vic.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible();
  await expect(vic.getByText('registry:write')).toBeVisible();
  expect(contosoServer).toMatch(/^\/servers\//);
  await vic.goto(contosoServer!);
  await expect(vic.getByRole('heading', { level: 1, name: 'No such server here' })).toBeVisible();
  await vic.context().close();
});
