import { expect, test } from '@playwright/test';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

test.beforeEach(async ({ page }) => {
  // Record CSP violations before any script of the page runs.
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
});

test('the SPA loads under the CSP and shows what the server offers', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
  page.on('pageerror', (error) => problems.push(error.message));

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'MREG', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Features on this server' })).toBeVisible();
  await expect(page.locator('[data-feature="avatarStorage"]')).toContainText('Avatars: on');
  await expect(page.getByText('sign-in uses the development provider')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('home.png'), fullPage: true });

  expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
  expect(problems).toEqual([]);
});

test('a deep link is answered by the SPA, a missing asset is not', async ({ page, request }) => {
  const response = await page.goto('/some/deep/link');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'MREG', level: 1 })).toBeVisible();
  const missing = await request.get('/assets/missing.js');
  expect(missing.status()).toBe(404);
});
