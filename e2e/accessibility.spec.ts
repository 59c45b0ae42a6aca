import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startEverythingServer, type TestUpstream } from '@mreg/server/testing/mcp-upstreams';
import { DEMO, signedInPage, signIn } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });
test.describe.configure({ mode: 'serial' });

/**
 * axe-core on every page of the app, in both themes and at both widths the app promises (a 360 px
 * phone and a 1280 px desktop), against WCAG 2.1 A and AA: no violation anywhere. A page is checked
 * once it has settled (its heading is shown and nothing is loading).
 */
const WIDTHS = [1280, 360] as const;
const THEMES = ['light', 'dark'] as const;

let everything: TestUpstream;
test.beforeAll(async () => {
  everything = await startEverythingServer();
});
test.afterAll(async () => {
  await everything?.close();
});

async function settled(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.locator('.skeleton')).toHaveCount(0);
}

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** axe's violations on the page as it is now, as "where: rule: elements". */
async function check(page: Page, where: string): Promise<string[]> {
  // Violations only: axe skips writing up every check that passed, most of its time on a large page.
  const result = await new AxeBuilder({ page }).withTags(WCAG).options({ resultTypes: ['violations'], iframes: false }).analyze();
  return result.violations.map((violation) => `${where}: ${violation.id}: ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/**
 * Every violation of every page at both widths in both themes. Each page is loaded once, then put
 * in each theme as the app does (data-theme on <html>) and each width: the same pages, fewer loads.
 */
async function violations(page: Page, paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(path);
    await settled(page);
    for (const theme of THEMES) {
      await page.evaluate((value) => (document.documentElement.dataset.theme = value), theme);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width === 360 ? 740 : 900 });
        found.push(...(await check(page, `${path} (${theme}, ${width} px)`)));
      }
    }
  }
  return found;
}

test('every page an admin sees has no WCAG 2.1 AA violation, light and dark, 1280 and 360 px', async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, DEMO.ada);
  // A server of its own, for its page and its editor; removed at the end, as the other tests expect none.
  await page.goto('/servers/new');
  await page.getByLabel('Name', { exact: true }).fill('Axe check');
  await page.getByLabel('URL').fill(everything.url);
  await page.getByLabel('Slug').fill('axe-check');
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Axe check' })).toBeVisible();
  const serverPath = new URL(page.url()).pathname;
  try {
    const paths = [
      '/dashboard',
      '/servers',
      '/servers/new',
      serverPath,
      `${serverPath}/edit`,
      '/api-keys',
      '/profile',
      '/preferences',
      '/sessions',
      '/members',
      '/audit',
      '/no-such-page',
      '/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '/oauth/consent?request=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ];
    expect(await violations(page, paths)).toEqual([]);
  } finally {
    await page.goto(serverPath);
    const id = serverPath.split('/').at(-1);
    const removed = await page.evaluate(
      async (serverId) =>
        (await fetch('/trpc/registry.remove', { method: 'POST', headers: { 'content-type': 'application/json', 'x-mreg-csrf': '1' }, body: JSON.stringify({ id: serverId }) }))
          .status,
      id,
    );
    expect(removed).toBe(200);
  }
});

test('the pages of a viewer and of someone signed out have none either', async ({ page, browser }) => {
  test.setTimeout(120_000);
  // Signed out: the sign-in page, plain and with each reason it gives; the theme from the system.
  const signedOut: string[] = [];
  for (const colorScheme of THEMES) {
    await page.emulateMedia({ colorScheme });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      for (const path of ['/', '/sign-in?reason=ended', '/sign-in?reason=signed-out']) {
        await page.goto(path);
        await settled(page);
        signedOut.push(...(await check(page, `${path} (${colorScheme}, ${width} px)`)));
      }
    }
  }
  // The server's own pages: the development provider's chooser, a cancelled sign-in, a failed one.
  for (const colorScheme of THEMES) {
    await page.emulateMedia({ colorScheme });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto('/');
      await page.getByRole('link', { name: 'Sign in', exact: true }).click();
      const pages: [string, () => Promise<void>][] = [
        ['the development provider', async () => {}],
        ['a cancelled sign-in', () => page.getByRole('button', { name: 'Cancel' }).click()],
        ['a failed sign-in', async () => void (await page.goto('/auth/callback?state=not-mine&code=made-up'))],
      ];
      for (const [name, reach] of pages) {
        await reach();
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        signedOut.push(...(await check(page, `${name} (${colorScheme}, ${width} px)`)));
      }
    }
  }
  expect(signedOut).toEqual([]);

  // A viewer: the pages an admin has that she may not open say so.
  const vic = await signedInPage(browser, DEMO.vic);
  // Her own views of pages the admin's run checked: the read-only directory, and Not allowed.
  expect(await violations(vic, ['/members', '/audit'])).toEqual([]);
  await vic.context().close();
});
