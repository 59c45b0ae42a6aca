import { expect, test } from '@playwright/test';
import { startE2eServer, type E2eServer } from './server';
import { shotBothWidths, signIn, watchProblems } from './support';

const BANNER = /Development sign-in is open/;

test('without MREG_DEV_SIGN_IN, the app shows no development sign-in banner', async ({ page }) => {
  await page.goto(`${process.env.MREG_TEST_E2E_URL}/`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to MREG' })).toBeVisible();
  await expect(page.getByTestId('dev-provider-note')).toBeVisible();
  await expect(page.getByText(BANNER)).toHaveCount(0);
});

test.describe('with MREG_DEV_SIGN_IN=true', () => {
  let server: E2eServer;
  test.beforeAll(async () => {
    server = await startE2eServer({ MREG_DEV_SIGN_IN: 'true' });
  });
  test.afterAll(() => server?.stop());

  test('every page says that anyone can sign in, the sign-in page and the chooser included', async ({ page }) => {
    const problems = await watchProblems(page);
    await page.goto(`${server.url}/`);
    const banner = page.getByRole('complementary', { name: 'Development sign-in' });
    await expect(banner).toContainText(BANNER);
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    await expect(page.getByText('anyone who can reach this server can sign in as any of these people')).toBeVisible();

    await page.goto(`${server.url}/`);
    await signIn(page, 'ada@contoso.test', `${server.url}/`);
    await expect(banner).toContainText(BANNER);
    await page.goto(`${server.url}/members`);
    await expect(page.getByRole('heading', { level: 1, name: 'Members' })).toBeVisible();
    await expect(banner).toBeVisible();
    await shotBothWidths(page, 'dev-sign-in-banner');
    expect(problems()).toEqual([]);
  });
});
