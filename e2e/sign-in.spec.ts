import { expect, test } from '@playwright/test';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

test('a person signs in with the development provider, lands on /dashboard, and signs out', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (msg) => {
    // Signed out, auth.user answers 401 by design; chromium reports every 4xx as a console error.
    const expected = /status of 401/.test(msg.text()) && !page.url().includes('/dev-idp/');
    if (msg.type() === 'error' && !expected) problems.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(error.message));

  await page.goto('/auth/login');
  await expect(page.getByRole('heading', { name: 'Sign in to MREG (development)' })).toBeVisible();
  await expect(page.getByRole('button', { name: /uma@contoso\.test/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /vic@fabrikam\.test/ })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('interaction.png'), fullPage: true });
  await page.getByRole('button', { name: /ada@contoso\.test/ }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Welcome, Ada Lovelace' })).toBeVisible();
  await expect(page.getByTestId('tenant')).toHaveText('Contoso (admin)');
  await page.screenshot({ path: test.info().outputPath('dashboard.png'), fullPage: true });

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'mreg_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  // The token lives in the cookie only, never in the page's storage.
  expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie)).not.toContain(session!.value);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await page.goto('/dashboard');
  await expect(page.getByText('You are not signed in.')).toBeVisible();

  // Sign-in from the dashboard comes back to it.
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await page.getByRole('button', { name: /vic@fabrikam\.test/ }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('tenant')).toHaveText('Fabrikam (viewer)');

  expect(problems).toEqual([]);
});

test('a failed sign-in ends on a readable page', async ({ page }) => {
  await page.goto('/auth/login');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.getByText('The sign-in was cancelled.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Sign in again' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('failed.png'), fullPage: true });
});
