import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startToyServer, type ToyUpstream } from '@mreg/server/testing/mcp-upstreams';
import { DEMO, signedInPage, signIn, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });
// One MREG for the whole run: the calls and changes made here are what the later tests read.
test.describe.configure({ mode: 'serial' });

const baseURL = process.env.MREG_TEST_E2E_URL!;
// For a person to look at (outside the repository).
const SHOTS = process.env.MREG_TEST_SHOTS ?? '/work/shots';
const KEY = 'Audit e2e';
// More than a page of the audit log (50), so that Load more has something to load.
const OK_CALLS = 50;

let toy: ToyUpstream;
let serverPath: string | undefined;
let keyMade = false;

test.beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  toy = await startToyServer();
});
test.afterAll(async ({ browser }) => {
  // The specs after this one expect Contoso without servers, and ada without keys.
  const page = await signedInPage(browser, DEMO.ada);
  if (keyMade) {
    await page.goto('/api-keys');
    await page.getByRole('row', { name: new RegExp(KEY) }).getByRole('button', { name: new RegExp(`^Revoke ${KEY}`) }).click();
    await page.getByRole('dialog', { name: `Revoke ${KEY}?` }).getByRole('button', { name: 'Revoke key' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Revoked ${KEY}` })).toBeVisible();
  }
  if (serverPath) {
    await page.goto(serverPath);
    await page.getByRole('button', { name: 'Delete Toy' }).click();
    await page.getByRole('dialog', { name: 'Delete Toy?' }).getByRole('button', { name: 'Delete server' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Deleted Toy' })).toBeVisible();
  }
  await page.context().close();
  await toy?.close();
});

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const usage = (page: Page) => page.getByRole('region', { name: 'Usage' });
const events = (page: Page) => page.getByRole('list', { name: /^Events in / }).locator(':scope > li');
const total = (page: Page, name: 'Calls' | 'Errors') => usage(page).locator('.usage-totals div').filter({ has: page.locator('dt', { hasText: name }) }).locator('dd');

/** Nothing wider than a 360 px phone (the charts re-measure themselves first), then the desktop again. */
async function fitsPhone(page: Page): Promise<void> {
  await page.setViewportSize({ width: 360, height: 740 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
}

/** Screenshots at both widths in both themes, into SHOTS. */
async function look(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: `${SHOTS}/${name}-${scheme}.png`, fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    // The charts follow the new width on their next frame.
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${SHOTS}/${name}-${scheme}-360.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Reloads until `locator` has `text`: tool calls reach the log within a second or so. */
async function reloadUntil(page: Page, locator: Locator, text: string | RegExp): Promise<void> {
  await expect(async () => {
    await page.reload();
    await expect(locator).toHaveText(text, { timeout: 2000 });
  }).toPass({ timeout: 15_000 });
}

test('vic, in Fabrikam where no tool was called, sees the usage empty state; uma has no Audit page', async ({ page, browser }) => {
  const problems = await watchProblems(page);
  const chartCode: string[] = [];
  page.on('request', (request) => request.url().includes('/assets/UsageCharts-') && chartCode.push(request.url()));
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, DEMO.vic);
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeVisible();
  await expect(usage(page).getByText('No tool calls in the last 7 days.')).toBeVisible();
  await expect(nav(page).getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await fitsPhone(page);
  // The charts' code is loaded only where there is something to chart: not by the sign-in page, nor here.
  expect(chartCode).toEqual([]);
  expect(problems()).toEqual([]);

  // uma is a member of Contoso: the registry and its tools, but not its audit log.
  const uma = await signedInPage(browser, DEMO.uma);
  await expect(nav(uma).getByRole('link', { name: 'Servers' })).toBeVisible();
  await expect(nav(uma).getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await uma.getByRole('button', { name: /^Account: / }).click();
  await expect(uma.getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await uma.goto('/audit');
  await expect(uma.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible();
  await expect(uma.getByText('audit:read')).toBeVisible();
  const csv = await uma.request.get('/audit/export.csv');
  expect(csv.status()).toBe(403);
  await uma.context().close();
});

test("ada's tool calls through /mcp are counted: the server's page and the dashboard chart them, with the top tools and people", async ({ page }) => {
  const problems = await watchProblems(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, DEMO.ada);
  await page.goto('/servers/new');
  await page.getByLabel('Name', { exact: true }).fill('Toy');
  await page.getByLabel('Slug').fill('toy');
  await page.getByLabel('URL').fill(toy.url);
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Toy' })).toBeFocused();
  serverPath = new URL(page.url()).pathname;
  // A new server has had no calls.
  await expect(usage(page).getByText('No tool calls in the last 7 days.')).toBeVisible();

  await page.goto('/api-keys');
  await page.getByLabel('Name').fill(KEY);
  await page.getByRole('button', { name: 'Create key' }).click();
  keyMade = true;
  const secret = await page.getByRole('region', { name: `Your new key: ${KEY}` }).getByRole('textbox', { name: 'API key' }).inputValue();

  const client = new Client({ name: 'e2e-audit', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseURL}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } }));
  // First, one without its argument: the tool answers that it failed, and that is an error in the figures.
  const failed = await client.callTool({ name: 'toy__echo', arguments: {} }).catch((error: unknown) => ({ isError: true, error }));
  expect(failed).toMatchObject({ isError: true });
  for (let i = 0; i < OK_CALLS; i++) {
    expect(await client.callTool({ name: 'toy__echo', arguments: { text: `call ${i}` } })).toMatchObject({ content: [{ type: 'text', text: `call ${i}` }] });
  }
  await client.close();

  await page.goto(serverPath);
  await reloadUntil(page, total(page, 'Calls'), String(OK_CALLS + 1));
  await expect(total(page, 'Errors')).toHaveText('1 (2%)');
  await expect(usage(page).getByRole('button', { name: 'Last 24 hours' })).toHaveAttribute('aria-pressed', 'true');
  // The charts (loaded on demand), each named by what it shows.
  await expect(usage(page).getByRole('img', { name: /^Calls and errors\. 51 tool calls in the last 24 hours, 1 error;/ })).toBeVisible();
  await expect(usage(page).getByRole('img', { name: /^Latency\. Over the last 24 hours, half the tool calls took at most \d+/ })).toBeVisible();
  await expect(usage(page).locator('.recharts-bar-rectangle').first()).toBeVisible();
  // The figures as text.
  await usage(page).getByText('The figures, hour by hour').click();
  const hours = usage(page).getByRole('table', { name: 'Tool calls, last 24 hours, by hour' });
  await expect(hours.locator('tbody tr')).toHaveCount(24);
  await expect(hours.locator('tbody tr').last().locator('td').first()).toHaveText('51');
  await expect(usage(page).getByRole('region', { name: 'Most used tools, last 7 days' })).toContainText(/echo\s*51 calls, 1 error/);
  await expect(usage(page).getByRole('region', { name: 'Most active people, last 7 days' })).toContainText(/Ada Lovelace.*51 calls/);
  await usage(page).getByRole('button', { name: 'Last 7 days' }).click();
  await expect(usage(page).getByRole('img', { name: /^Calls and errors\. 51 tool calls in the last 7 days/ })).toBeVisible();
  // The figures stay open from one period to the other.
  await expect(usage(page).getByText('The figures, day by day (UTC)')).toBeVisible();
  await expect(usage(page).getByRole('table', { name: 'Tool calls, last 7 days, by day' }).locator('tbody tr')).toHaveCount(7);
  await fitsPhone(page);

  // The dashboard: the whole tenant's calls (other tests may have made some).
  await nav(page).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeFocused();
  await expect(total(page, 'Calls')).toHaveText(/^\d+$/);
  expect(Number(await total(page, 'Calls').textContent())).toBeGreaterThanOrEqual(OK_CALLS + 1);
  await expect(usage(page).getByRole('img', { name: /^Calls and errors\./ })).toBeVisible();
  // Most used first: this server's echo (another test's server, since removed, may have had a call too).
  const tops = usage(page).getByRole('region', { name: 'Most used tools, last 7 days' });
  await expect(tops.getByRole('listitem').first().getByRole('link', { name: 'toy' })).toHaveAttribute('href', serverPath);
  await expect(tops.getByRole('link')).toHaveCount(1);
  await fitsPhone(page);
  await look(page, 'dashboard-usage');
  await page.goto(serverPath);
  await expect(total(page, 'Calls')).toHaveText(String(OK_CALLS + 1));
  await usage(page).getByText('The figures, hour by hour').click();
  await look(page, 'server-usage');
  expect(problems()).toEqual([]);
});

test('ada changes uma’s role and back; the Audit page tells it in sentences, filters, opens an event and exports it', async ({ page }) => {
  const problems = await watchProblems(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, DEMO.ada);
  await page.goto('/members');
  const umaRow = page.getByRole('row', { name: /uma@contoso\.test/ });
  for (const role of ['viewer', 'member']) {
    await umaRow.getByRole('button', { name: /^Actions for / }).click();
    await page.getByRole('menuitem', { name: 'Change role…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Change the role of / });
    await dialog.getByRole('radio', { name: new RegExp(`^${role}`, 'i') }).check();
    await dialog.getByRole('button', { name: new RegExp(` a ${role}$`) }).click();
    await expect(page.getByRole('status').filter({ hasText: `is now a ${role}` })).toBeVisible();
  }

  await nav(page).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeFocused();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(events(page).first()).toContainText('Ada Lovelace changed the role of Uma Umarova from viewer to member');
  // The tool calls, with the key they came through.
  const calls = events(page).filter({ hasText: `via API key ${KEY}` });
  await expect(calls.first()).toContainText(/^▸\s*Ada Lovelace called the tool echo on the server toy \(\d+ ms\) via API key/);
  // A page at a time: the next one has the rest of the calls, the failed one (made first) marked so.
  await expect(events(page)).toHaveCount(50);
  await expect(page.getByRole('status').filter({ hasText: 'Showing 50 events, more to load.' })).toBeVisible();
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(calls).toHaveCount(OK_CALLS + 1);
  await expect(calls.locator('.audit-outcome')).toHaveCount(1);
  await expect(calls.last()).toContainText(/called the tool echo .*Error/);
  await expect(page.getByRole('status').filter({ hasText: /^Showing \d+ events/ })).toBeVisible();
  await fitsPhone(page);

  // Opened, an event shows every field as recorded.
  const latest = events(page).first();
  await latest.getByText('changed the role of Uma Umarova').click();
  const fields = latest.locator('dl');
  await expect(fields).toBeVisible();
  for (const [name, value] of [
    ['Action', 'member.role_changed'],
    ['Outcome', 'Done success'],
    ['Actor kind', 'user'],
    ['Actor email', 'ada@contoso.test'],
    ['IP address', /127\.0\.0\.1/],
    ['User agent', /Chrome/],
    ['Request id', /\S+/],
  ] as const) {
    await expect(fields.locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]')).toHaveText(value);
  }
  await expect(fields.locator('pre')).toContainText('"previousRole": "viewer"');
  await expect(fields.locator('pre')).toContainText('"role": "member"');
  await look(page, 'audit');

  // Narrowed to role changes: the address keeps the filter, the export takes it too.
  await page.getByLabel('Action', { exact: true }).selectOption({ label: 'Role changes' });
  await expect(page).toHaveURL(/\/audit\?action=member\.role_changed$/);
  // Newest first.
  await expect(events(page)).toHaveText([/from viewer to member/, /from member to viewer/]);
  const exportLink = page.getByRole('link', { name: 'Export CSV' });
  await expect(exportLink).toHaveAttribute('href', '/audit/export.csv?action=member.role_changed');
  const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await readFile((await download.path())!, 'utf8');
  const lines = csv.trim().split('\n');
  expect(lines[0]).toMatch(/^id,at,tenant_id,actor_kind,/);
  expect(lines).toHaveLength(3);
  expect(lines[1]).toContain('member.role_changed');
  expect(lines[1]).toContain('ada@contoso.test');
  expect(lines[1]).toContain('Uma Umarova');
  // A reload keeps the filter.
  await page.reload();
  await expect(page.getByLabel('Action', { exact: true })).toHaveValue('member.role_changed');
  await expect(events(page)).toHaveCount(2);

  // By person: ada's own; and days: the last before the first is said beside the field, a future day matches nothing.
  await page.getByLabel('Action', { exact: true }).selectOption({ label: 'All actions' });
  await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Ada Lovelace (ada@contoso.test)' });
  await expect(page).toHaveURL(/\/audit\?person=[0-9a-f-]{36}$/);
  await expect(events(page).first()).toContainText('Ada Lovelace');
  const today = await page.evaluate(() => new Date().toLocaleDateString('en-CA'));
  await page.getByLabel('From', { exact: true }).fill(today);
  await expect(events(page).first()).toContainText('changed the role of Uma Umarova');
  await page.getByLabel('To', { exact: true }).fill('2020-01-01');
  await expect(page.getByText('The last day must not be before the first day')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
  await page.getByLabel('To', { exact: true }).fill('');
  await page.getByLabel('From', { exact: true }).fill('2099-01-01');
  await expect(page.getByText('No events match these filters.')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).first().click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(events(page).first()).toContainText('from viewer to member');
  expect(problems()).toEqual([]);
});
