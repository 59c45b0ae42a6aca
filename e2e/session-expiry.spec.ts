import { expect, test, type Page } from '@playwright/test';
import { DEMO, shot, signIn } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

/**
 * The open app and its session's end, with the page's clock moved forward (Playwright's clock; the
 * server keeps real time). The demo server's defaults: 24 h expiry, 12 h idle timeout, so an open
 * tab's first end is the idle one.
 */

async function idleEnd(page: Page): Promise<number> {
  const info = await page.evaluate(async () => {
    const response = await fetch('/trpc/auth.user');
    return ((await response.json()) as { result: { data: { sessionInfo: { lastActivity: string; idleTimeoutMinutes: number } } } }).result.data.sessionInfo;
  });
  return Date.parse(info.lastActivity) + info.idleTimeoutMinutes * 60_000;
}

const refreshes = (page: Page) => {
  const seen: string[] = [];
  page.on('request', (request) => request.url().includes('auth.refreshSession') && seen.push(request.url()));
  return seen;
};

test('a tab nobody uses is warned a minute before its idle timeout, and "Stay signed in" renews the session', async ({ page }) => {
  await page.clock.install();
  await signIn(page, DEMO.uma);
  const banner = page.getByRole('alert').filter({ hasText: 'You will be signed out within a minute' });
  const renewals = refreshes(page);
  const end = await idleEnd(page);
  await page.clock.fastForward(end - 30_000 - (await page.evaluate(() => Date.now())));
  await expect(banner).toContainText('nothing has happened here for a while');
  expect(renewals).toEqual([]);
  await shot(page, 'idle-warning');

  await banner.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(banner).toBeHidden();
  expect(renewals).toHaveLength(1);
});

test('a tab in use renews its session shortly before the idle timeout, without a warning', async ({ page }) => {
  await page.clock.install();
  await signIn(page, DEMO.uma);
  const end = await idleEnd(page);
  // Someone is here: a click after the last request.
  await page.getByRole('heading', { level: 1 }).click();
  const renewal = page.waitForRequest((request) => request.url().includes('auth.refreshSession'));
  await page.clock.fastForward(end - 4 * 60_000 - (await page.evaluate(() => Date.now())));
  await renewal;
  await expect(page.getByRole('alert').filter({ hasText: 'You will be signed out' })).toHaveCount(0);
});
