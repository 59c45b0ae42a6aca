import { expect, test } from '@playwright/test';
import { shot, shotBothWidths, signIn, signOut, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

test('a person signs in with the development provider, lands on the dashboard, and signs out', async ({ page }) => {
  const problems = await watchProblems(page);

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sign in to MREG' })).toBeVisible();
  await expect(page.getByTestId('dev-provider-note')).toContainText('development sign-in provider');
  await shotBothWidths(page, 'sign-in');
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();

  await expect(page.getByRole('heading', { name: 'Sign in to MREG (development)' })).toBeVisible();
  await expect(page.getByRole('button', { name: /uma@contoso\.test/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /vic@fabrikam\.test/ })).toBeVisible();
  await shot(page, 'provider');
  await page.getByRole('button', { name: /ada@contoso\.test/ }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: /^Welcome, / })).toBeVisible();
  await expect(page.getByTestId('tenant')).toHaveText('Contoso');
  await expect(page.getByTestId('role')).toHaveText('admin');
  await shotBothWidths(page, 'dashboard');

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'mreg_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  // The token lives in the cookie only: never in the page's storage, its script-visible cookies or a URL.
  expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie)).not.toContain(session!.value);
  expect(page.url()).not.toContain(session!.value);

  await signOut(page);
  await expect(page).toHaveURL(/\/sign-in\?reason=signed-out$/);
  await expect(page.getByRole('status').filter({ hasText: 'You have signed out.' })).toBeVisible();
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/sign-in\?returnTo=%2Fdashboard$/);

  // Sign-in from there comes back to the dashboard.
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: /vic@fabrikam\.test/ }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('tenant')).toHaveText('Fabrikam');
  await expect(page.getByTestId('role')).toHaveText('viewer');

  expect(problems()).toEqual([]);
});

test('a deep link survives the sign-in: returnTo brings the person back to it', async ({ page }) => {
  await page.goto('/preferences?from=link');
  await expect(page).toHaveURL(/\/sign-in\?returnTo=%2Fpreferences%3Ffrom%3Dlink$/);
  // It says why: the page asked for is only for people who are signed in.
  await expect(page.getByRole('status')).toContainText('Sign in to open /preferences: MREG shows it only to people who are signed in.');
  await signIn(page, 'uma@contoso.test', page.url());
  await expect(page).toHaveURL(/\/preferences\?from=link$/);
  await expect(page.getByRole('heading', { name: 'Preferences', level: 1 })).toBeVisible();
});

test('cancelling at the sign-in page is no error: it says so, with the way back to where the person was headed', async ({ page }) => {
  await page.goto('/profile');
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { name: 'Sign-in was cancelled' })).toBeVisible();
  await expect(page.getByText('Nobody was signed in.')).toBeVisible();
  await expect(page.getByText('Sign-in failed')).toHaveCount(0);
  await shot(page, 'cancelled');
  await page.getByRole('link', { name: 'Sign in again' }).click();
  await page.getByRole('button', { name: /uma@contoso\.test/ }).click();
  await expect(page).toHaveURL(/\/profile$/);
});

test('a failed sign-in ends on a readable page', async ({ page }) => {
  // A provider's answer for a sign-in this browser did not start.
  await page.goto('/auth/callback?state=not-mine&code=made-up');
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.getByText('This sign-in was not started here')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Sign in again' })).toBeVisible();
  await shot(page, 'failed');
});
