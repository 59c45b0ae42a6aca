import { expect, test } from '@playwright/test';
import { DEMO, shot, signIn, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

test('every page loads under the CSP without errors, and focus starts at its heading', async ({ page }) => {
  const problems = await watchProblems(page);
  await signIn(page, 'ada@contoso.test');
  for (const [path, heading] of [
    ['/dashboard', /^Welcome, /],
    ['/profile', 'Profile'],
    ['/preferences', 'Preferences'],
    ['/sessions', 'Sessions'],
    ['/members', 'Members'],
    ['/api-keys', 'API keys'],
    ['/servers', 'Servers'],
    ['/audit', 'Audit log'],
  ] as const) {
    await page.goto(path);
    const h1 = page.getByRole('heading', { level: 1, name: heading });
    await expect(h1).toBeVisible();
    await expect(h1).toBeFocused();
  }
  expect(problems()).toEqual([]);
});

test('an unknown address shows the not-found page; a missing asset is a plain 404', async ({ page, request }) => {
  const response = await page.goto('/some/deep/link');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByText('There is no page at /some/deep/link here.')).toBeVisible();
  await shot(page, 'not-found');
  const missing = await request.get('/assets/missing.js');
  expect(missing.status()).toBe(404);
});

test('the header and menus work from the keyboard alone', async ({ page }) => {
  await signIn(page, 'ada@contoso.test');
  await page.goto('/dashboard');
  // Focus starts at the page's heading. The skip link is the page's first stop and shows when focused.
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  const skip = page.getByRole('link', { name: 'Skip to content' });
  expect(await page.evaluate(() => document.querySelector('a, button, input, select, textarea')?.textContent)).toBe('Skip to content');
  await skip.focus();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
  const account = page.getByRole('button', { name: /^Account: / });
  await account.focus();
  await page.keyboard.press('Enter');
  await expect(account).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(account).toHaveAttribute('aria-expanded', 'false');
  await expect(account).toBeFocused();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeHidden();
  // From the account button, Tab goes on through the nav links in order (the closed menu is skipped).
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Dashboard', 'Servers', 'API keys', 'Profile', 'Preferences', 'Sessions']) {
    await page.keyboard.press('Tab');
    await expect(nav.getByRole('link', { name })).toBeFocused();
  }
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/sessions$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sessions' })).toBeFocused();
});

test("a page whose chunk is gone (MREG updated meanwhile) says so with a reload, and the rest of the app stays", async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.route(/\/assets\/Audit-[\w-]+\.js$/, (route) => route.fulfill({ status: 404, body: '' }));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'This page could not be loaded.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reload' })).toBeVisible();
  // The header still works, and another page loads.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Servers' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Servers' })).toBeVisible();
  await page.unroute(/\/assets\/Audit-[\w-]+\.js$/);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
});
