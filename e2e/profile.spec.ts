import { expect, test } from '@playwright/test';
import { DEMO, pngSquare, shotBothWidths, signedInPage, signIn, signOut, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

test('ada edits her display name and bio and still sees them after a reload', async ({ page }) => {
  const problems = await watchProblems(page);
  await signIn(page, DEMO.ada);
  await page.goto('/profile');
  await page.getByLabel('Display name').fill('Countess Ada');
  await page.getByLabel('Bio').fill('Wrote the first program.\nLikes engines.');
  await page.getByRole('button', { name: /^Save/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Profile saved' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Account: Countess Ada' })).toBeVisible();

  await page.reload();
  await expect(page.getByLabel('Display name')).toHaveValue('Countess Ada');
  await expect(page.getByLabel('Bio')).toHaveValue('Wrote the first program.\nLikes engines.');
  await shotBothWidths(page, 'profile');
  expect(problems()).toEqual([]);
});

test('a display name too long is refused beside the field, before anything is sent', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/profile');
  const sent: string[] = [];
  page.on('request', (request) => request.url().includes('updateProfile') && sent.push(request.url()));
  await page.getByLabel('Display name').fill('x'.repeat(256));
  await page.getByRole('button', { name: /^Save/ }).click();
  await expect(page.getByText('is longer than 255 characters')).toBeVisible();
  await expect(page.getByLabel('Display name')).toHaveAttribute('aria-invalid', 'true');
  expect(sent).toEqual([]);
  await shotBothWidths(page, 'profile-invalid');
});

test('a display name with an invisible character is refused beside that field, naming the character', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/profile');
  const sent: string[] = [];
  page.on('request', (request) => request.url().includes('updateProfile') && sent.push(request.url()));
  await page.getByLabel('Display name').fill('Ada\u180e');
  await page.getByRole('button', { name: /^Save/ }).click();
  await expect(page.getByText('Display name contains an invisible character (U+180E MONGOLIAN VOWEL SEPARATOR), which is not allowed')).toBeVisible();
  await expect(page.getByLabel('Display name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Bio')).not.toHaveAttribute('aria-invalid', 'true');
  expect(sent).toEqual([]);
});

test('ada uploads an avatar: previewed, then shown in the header; a file that is not a picture is refused clearly', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/profile');
  const picker = page.getByLabel('Choose a picture');

  await picker.setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('plain text, not a PNG') });
  await page.getByRole('button', { name: 'Upload picture' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /PNG, JPEG or WebP/ })).toBeVisible();

  await picker.setInputFiles({ name: 'ada.png', mimeType: 'image/png', buffer: pngSquare([36, 81, 183]) });
  await expect(page.getByRole('img', { name: /preview/i })).toBeVisible();
  await page.getByRole('button', { name: 'Upload picture' }).click();
  const headerPicture = page.getByRole('button', { name: /^Account: / }).locator('img');
  await expect(headerPicture).toHaveAttribute('src', /^\/avatars\//);
  // The picture really loads: the browser decoded it.
  await expect.poll(() => headerPicture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
  await shotBothWidths(page, 'profile-avatar');
});

test('ada sets the dark theme: applied at once, and still dark after signing out and in', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/preferences');
  await page.getByRole('radio', { name: 'Dark' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(18, 21, 25)');
  await shotBothWidths(page, 'preferences-dark');

  await signOut(page);
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', 'dark');
  await signIn(page, DEMO.ada);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.goto('/preferences');
  await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked();
});

test('language and time zone change how the app shows dates', async ({ page }) => {
  await signIn(page, DEMO.uma);
  await page.goto('/preferences');
  await page.getByLabel('Language').selectOption('de-DE');
  await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
  await page.getByRole('button', { name: /^Save/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Language and time zone saved' })).toBeVisible();
  await page.goto('/dashboard');
  // "04.12.2026, 19:55": German, in Tokyo's time, beside the dashboard's German words.
  const ends = page.locator('dt', { hasText: 'Sitzung endet spätestens' }).locator('xpath=following-sibling::dd[1]');
  await expect(ends).toHaveText(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
  const shown = await ends.textContent();
  const expected = await page.evaluate(async () => {
    const response = await fetch('/trpc/auth.user');
    const iso = ((await response.json()) as { result: { data: { sessionInfo: { absoluteExpiresAt: string } } } }).result.data.sessionInfo.absoluteExpiresAt;
    return new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(new Date(iso));
  });
  expect(shown).toBe(expected);
  // Back to the browser's language and zone: the tests after this one read uma's pages in English.
  const reset = await page.evaluate(async () => {
    const response = await fetch('/trpc/auth.updatePreferences', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mreg-csrf': '1' },
      body: JSON.stringify({ category: 'ui', preferences: { language: null, time_zone: null } }),
    });
    return response.status;
  });
  expect(reset).toBe(200);
});

test('a display name of <img src=x onerror=alert(1)> is shown as text, everywhere it appears', async ({ page, browser }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const hostile = '<img src=x onerror=alert(1)>';
  await signIn(page, DEMO.uma);
  await page.goto('/profile');
  await page.getByLabel('Display name').fill(hostile);
  await page.getByRole('button', { name: /^Save/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Profile saved' })).toBeVisible();
  await page.goto('/dashboard');
  await expect(page.getByRole('heading', { level: 1, name: `Welcome, ${hostile}` })).toBeVisible();
  await expect(page.getByRole('button', { name: `Account: ${hostile}` })).toBeVisible();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  await shotBothWidths(page, 'dashboard-hostile-name');

  // In someone else's view too: Contoso's admin sees uma's name in the members list.
  const ada = await signedInPage(browser, DEMO.ada);
  ada.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await ada.goto('/members');
  await expect(ada.getByRole('heading', { level: 1, name: 'Members' })).toBeVisible();
  await expect(ada.getByRole('row', { name: /uma@contoso\.test/ }).getByText(hostile, { exact: true })).toBeVisible();
  expect(await ada.locator('img[src="x"]').count()).toBe(0);
  await ada.context().close();
  expect(dialogs).toEqual([]);
});
