import { expect, test } from '@playwright/test';
import { DEMO, shotBothWidths, signedInPage, signIn, signOut } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

test('ada ends her other session from the Sessions page; that browser is sent to sign-in on its next action', async ({ page, browser }) => {
  const other = await signedInPage(browser, DEMO.ada);
  await signIn(page, DEMO.ada);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sessions' })).toBeVisible();
  await expect(page.getByText('This device')).toHaveCount(1);
  await shotBothWidths(page, 'sessions');

  const otherSessionId = await other.evaluate(async () => {
    const response = await fetch('/trpc/auth.user', { headers: { 'x-mreg-csrf': '1' } });
    return ((await response.json()) as { result: { data: { sessionInfo: { sessionId: string } } } }).result.data.sessionInfo.sessionId;
  });
  const row = page.getByRole('row').filter({ has: page.locator(`[data-session-id="${otherSessionId}"]`) });
  await row.getByRole('button', { name: /^End session/ }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: /^End session/ }).click();
  await expect(page.locator(`[data-session-id="${otherSessionId}"]`)).toHaveCount(0);

  // The other browser still shows its page; its next action finds the session gone.
  await other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  await expect(other).toHaveURL(/\/sign-in\?returnTo=%2Fprofile&reason=ended$/);
  await expect(other.getByText('Your session has ended.')).toBeVisible();
  // And signing in again there brings it back to where it was going.
  await other.getByRole('link', { name: 'Sign in', exact: true }).click();
  await other.getByRole('button', { name: /ada@contoso\.test/ }).click();
  await expect(other).toHaveURL(/\/profile$/);
  await other.context().close();
});

test('a reload after the session was ended elsewhere says so; after that, and after signing out, sign-in is asked plainly', async ({ page, browser }) => {
  const other = await signedInPage(browser, DEMO.uma);
  await signIn(page, DEMO.uma);
  // uma, here, signs out everywhere else: the other browser's session ends while it sits on its page.
  const revoked = await page.evaluate(async () => {
    const response = await fetch('/trpc/auth.revokeOtherSessions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-mreg-csrf': '1' }, body: '{}' });
    return ((await response.json()) as { result: { data: { revoked: number } } }).result.data.revoked;
  });
  expect(revoked).toBeGreaterThanOrEqual(1);

  await other.goto('/profile');
  await expect(other).toHaveURL(/\/sign-in\?returnTo=%2Fprofile&reason=ended$/);
  await expect(other.getByText('Your session has ended.')).toBeVisible();
  // Said once: the next visit is a plain sign-in.
  await other.goto('/preferences');
  await expect(other).toHaveURL(/\/sign-in\?returnTo=%2Fpreferences$/);
  await other.context().close();

  // Signed out on purpose: no "ended" either.
  await signOut(page);
  await page.goto('/profile');
  await expect(page).toHaveURL(/\/sign-in\?returnTo=%2Fprofile$/);
});
