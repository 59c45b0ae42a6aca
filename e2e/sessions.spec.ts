import { expect, test } from '@playwright/test';
import { DEMO, shotBothWidths, signedInPage, signIn } from './support';

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
