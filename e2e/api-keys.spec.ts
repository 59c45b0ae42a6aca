import { mkdirSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect, test, type Page } from '@playwright/test';
import { startToyServer, type ToyUpstream } from '@mreg/server/testing/mcp-upstreams';
import { DEMO, signedInPage, signIn, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL, permissions: ['clipboard-read', 'clipboard-write'] });
// One MREG for the whole run: the server registered first is the one the key reaches.
test.describe.configure({ mode: 'serial' });

const baseURL = process.env.MREG_TEST_E2E_URL!;
// 60 characters: behind the slug `toy__` it is 65, one more than /mcp serves.
const LONG_TOOL = `summarise_${'the_quarterly_report_'.repeat(3)}`.slice(0, 60);
const SHOTS = '/tmp/keys-ui';

let toy: ToyUpstream;
test.beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  toy = await startToyServer();
  toy.addTool(LONG_TOOL);
});
test.afterAll(async ({ browser }) => {
  // One MREG serves every spec of a run: the servers spec expects Contoso to have none yet.
  const page = await signedInPage(browser, DEMO.ada);
  await page.goto('/servers');
  await page.getByRole('link', { name: 'Toy', exact: true }).click();
  await page.getByRole('button', { name: 'Delete Toy' }).click();
  await page.getByRole('dialog', { name: 'Delete Toy?' }).getByRole('button', { name: 'Delete server' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted Toy' })).toBeVisible();
  await page.context().close();
  await toy?.close();
});

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

/** The page at a desktop's width and a 360 px phone's, in the light and the dark theme, for a person to look at. */
async function look(page: Page, name: string) {
  const size = page.viewportSize()!;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${SHOTS}/${name}-${scheme}.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.screenshot({ path: `${SHOTS}/${name}-${scheme}-360.png`, fullPage: true });
    await page.setViewportSize(size);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The official SDK's client on `url`, sending `headers` on every request, as a script of ada's would. */
async function mcpClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'e2e-api-keys', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

test("ada registers a server whose long tool /mcp leaves out; its page says why and names the others' /mcp names", async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/servers/new');
  await page.getByLabel('Name', { exact: true }).fill('Toy');
  await page.getByLabel('Slug').fill('toy');
  await page.getByLabel('URL').fill(toy.url);
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Toy' })).toBeFocused();

  const notice = page.getByRole('region', { name: '/mcp leaves out 1 tool of this server' });
  await expect(notice).toContainText(
    `The tool ${LONG_TOOL}: its /mcp name toy__${LONG_TOOL} is 65 characters, more than 64: rename the tool upstream or use a shorter slug.`,
  );
  await expect(page.getByRole('article', { name: 'Tool echo' })).toContainText('On /mcp as toy__echo');
  await expect(page.getByRole('article', { name: `Tool ${LONG_TOOL}` })).toContainText('Not on /mcp: its name there would be 65 characters');
  await expect(page.getByRole('textbox', { name: 'Toy alone' })).toHaveValue(`${baseURL}/mcp/toy`);
  await page.getByRole('button', { name: 'Copy the MCP address of Toy' }).click();
  await expect(status(page, 'Copied.')).toBeVisible();
  expect(await clipboard(page)).toBe(`${baseURL}/mcp/toy`);
  await look(page, 'server-page');
});

test('ada creates a key, sees its secret once and copies it; it reaches /mcp as her until she revokes it', async ({ page }) => {
  const problems = await watchProblems(page);
  await signIn(page, DEMO.ada);
  await nav(page).getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeFocused();
  await expect(page.getByText('A key acts for you in Contoso, with your permissions there (admin)')).toBeVisible();
  await expect(page.getByText('You have no API keys in Contoso.')).toBeVisible();
  await look(page, 'api-keys-empty');

  // The shared schema speaks first, beside the field, and nothing is sent.
  const creates: string[] = [];
  page.on('request', (r) => r.url().includes('apiKeys.create') && creates.push(r.url()));
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByLabel('Name')).toBeFocused();
  await expect(page.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.field-error')).toHaveText(['Name must not be empty']);
  expect(creates).toEqual([]);

  await page.getByLabel('Name').fill('Laptop Claude');
  await page.getByLabel('Expires').selectOption({ label: 'In 30 days' });
  await page.getByRole('button', { name: 'Create key' }).click();
  const panel = page.getByRole('region', { name: 'Your new key: Laptop Claude' });
  await expect(panel).toContainText('Copy it now: it will not be shown again.');
  const field = panel.getByRole('textbox', { name: 'API key' });
  await expect(field).toBeFocused();
  const secret = await field.inputValue();
  expect(secret).toMatch(/^mreg_pat_[A-Za-z0-9_-]{43}$/);
  // Focused, it is selected whole: Ctrl+C alone copies it.
  expect(await field.evaluate((input: HTMLInputElement) => [input.selectionStart, input.selectionEnd])).toEqual([0, secret.length]);
  await panel.getByRole('button', { name: 'Copy the key Laptop Claude' }).click();
  await expect(status(page, 'Copied.')).toBeVisible();
  expect(await clipboard(page)).toBe(secret);
  expect(creates).toHaveLength(1);

  const row = page.getByRole('row', { name: /Laptop Claude/ });
  await expect(row.getByRole('cell').nth(1)).toHaveText(`${secret.slice(0, 13)}…`);
  await expect(row).toContainText('in 30 days');
  await expect(row).toContainText('Never used');
  await look(page, 'api-keys-new-key');

  await panel.getByRole('button', { name: 'Done' }).click();
  await expect(panel).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 2, name: 'Your keys in Contoso' })).toBeFocused();
  expect(await page.content()).not.toContain(secret);
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // The Connect panel's Cursor configuration, the key put where it says: the SDK's client reaches /mcp
  // as ada in Contoso, without the browser's cookie.
  await page.goto('/servers#connect');
  const connect = page.getByRole('region', { name: 'Connect an MCP client' });
  await connect.getByText('Cursor', { exact: true }).click();
  await connect.getByRole('button', { name: 'Copy the Cursor configuration' }).click();
  const copied = (await clipboard(page)).replace('<your-api-key>', secret);
  const { url, headers } = (JSON.parse(copied) as { mcpServers: { mreg: { url: string; headers: Record<string, string> } } }).mcpServers.mreg;
  expect(url).toBe(`${baseURL}/mcp`);
  const client = await mcpClient(url, headers);
  const { tools } = await client.listTools();
  // The long tool is left out, as the server's page said.
  expect(tools.map((tool) => tool.name)).toEqual(['toy__echo']);
  expect(await client.callTool({ name: 'toy__echo', arguments: { text: 'hello from ada' } })).toMatchObject({
    content: [{ type: 'text', text: 'hello from ada' }],
  });
  await page.goto('/api-keys');
  await expect(row).not.toContainText('Never used');
  await look(page, 'api-keys-list');

  await row.getByRole('button', { name: /^Revoke Laptop Claude/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke Laptop Claude?' });
  await expect(dialog).toContainText(`${secret.slice(0, 13)}…`);
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.screenshot({ path: `${SHOTS}/api-keys-revoke.png` });
  await dialog.getByRole('button', { name: 'Revoke key' }).click();
  await expect(status(page, 'Revoked Laptop Claude: it no longer works.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Laptop Claude/ })).toHaveCount(0);
  await expect(page.getByText('You have no API keys in Contoso.')).toBeVisible();

  // The next call of the client already connected is refused, and so is a new connection.
  const revoked = { code: 401, message: expect.stringContaining('The API key is unknown or has been revoked') };
  await expect(client.listTools()).rejects.toMatchObject(revoked);
  await expect(mcpClient(url, headers)).rejects.toMatchObject(revoked);
  await client.close();
  expect(problems()).toEqual([]);
});

test('the Connect panel gives the MCP address and each client its configuration, to copy; the keys page links to it', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/api-keys');
  await page.getByRole('link', { name: 'Connect an MCP client' }).click();
  await expect(page).toHaveURL(/\/servers#connect$/);
  const panel = page.getByRole('region', { name: 'Connect an MCP client' });
  await expect(panel.getByRole('heading', { name: 'Connect an MCP client' })).toBeFocused();
  await expect(panel.getByRole('textbox', { name: 'MCP address' })).toHaveValue(`${baseURL}/mcp`);
  await panel.getByRole('button', { name: 'Copy the MCP address' }).click();
  expect(await clipboard(page)).toBe(`${baseURL}/mcp`);

  await panel.getByText('VS Code', { exact: true }).click();
  const vscode = panel.getByRole('group').filter({ hasText: 'VS Code' });
  await vscode.getByRole('button', { name: 'Copy the VS Code configuration' }).click();
  await expect(vscode.getByRole('status')).toHaveText('Copied.');
  expect(JSON.parse(await clipboard(page))).toEqual({
    servers: { mreg: { type: 'http', url: `${baseURL}/mcp`, headers: { Authorization: 'Bearer ${input:mreg-key}' } } },
    inputs: [{ type: 'promptString', id: 'mreg-key', description: 'MREG API key', password: true }],
  });
  await panel.getByText('Claude Code', { exact: true }).click();
  await expect(panel.getByLabel('Claude Code configuration', { exact: true })).toHaveText(
    `claude mcp add --transport http mreg ${baseURL}/mcp --header "Authorization: Bearer <your-api-key>"`,
  );
  await look(page, 'connect-panel');
});

test("vic, Fabrikam's viewer, has API keys too: hers act in Fabrikam, with a viewer's rights", async ({ page }) => {
  await signIn(page, DEMO.vic);
  await nav(page).getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeFocused();
  await expect(page.getByText('A key acts for you in Fabrikam, with your permissions there (viewer)')).toBeVisible();
  await expect(page.getByText('You have no API keys in Fabrikam.')).toBeVisible();
});
