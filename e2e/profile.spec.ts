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

  // Signed out, the sign-in page of this browser is dark from its first paint: the server writes the
  // theme cookie's value into index.html itself, before any script runs.
  await signOut(page);
  const signInPage = await page.goto('/sign-in');
  expect(await signInPage!.text()).toContain('<html data-theme="dark"');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await signIn(page, DEMO.ada);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.goto('/preferences');
  await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked();
});

test('language and time zone: the whole app in German, its dates in German and in Tokyo time, and back', async ({ page }) => {
  await signIn(page, DEMO.uma);
  await page.goto('/preferences');
  await page.getByLabel('Language', { exact: true }).selectOption('de-DE');
  await page.getByLabel('Time zone', { exact: true }).selectOption('Asia/Tokyo');
  await page.getByRole('button', { name: /^Save/ }).click();
  // Saved, the app speaks German at once: the page, the header and the menus.
  await expect(page.getByRole('status').filter({ hasText: 'Sprache und Zeitzone gespeichert' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Einstellungen' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Übersicht' })).toBeVisible();
  await expect(page.getByRole('radio', { name: 'Dunkel' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de-DE');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Übersicht' }).click();
  // "04.12.2026, 19:55": German, in Tokyo's time beside the dashboard's German words.
  const ends = page.locator('dt', { hasText: 'Sitzung endet spätestens' }).locator('xpath=following-sibling::dd[1]');
  await expect(ends).toHaveText(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
  const shown = await ends.textContent();
  const expected = await page.evaluate(async () => {
    const response = await fetch('/trpc/auth.user');
    const iso = ((await response.json()) as { result: { data: { sessionInfo: { absoluteExpiresAt: string } } } }).result.data.sessionInfo.absoluteExpiresAt;
    return new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo' }).format(new Date(iso));
  });
  expect(shown).toBe(expected);
  await shotBothWidths(page, 'dashboard-german');

  // Back to the browser's language (English here) and zone, for the tests after this one.
  await page.goto('/preferences');
  await page.getByLabel('Sprache', { exact: true }).selectOption('');
  await page.getByLabel('Zeitzone', { exact: true }).selectOption('');
  await page.getByRole('button', { name: /^Speichern/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Preferences' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', /^en/);
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

test('a full load of a dark page paints dark from the first frame, and a new browser starts with the system theme', async ({ page, browser }) => {
  await signIn(page, DEMO.vic);
  await page.goto('/preferences');
  await page.getByRole('radio', { name: 'Dark' }).check();
  await expect.poll(async () => (await page.context().cookies()).find((cookie) => cookie.name === 'mreg_theme')?.value).toBe('dark');
  // The first paint is what the HTML says before the app's script runs: record <html>'s theme at DOMContentLoaded.
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      (window as unknown as { themeAtFirstPaint: string | undefined }).themeAtFirstPaint = document.documentElement.dataset.theme;
      (window as unknown as { backgroundAtFirstPaint: string }).backgroundAtFirstPaint = getComputedStyle(document.documentElement).backgroundColor;
    });
  });
  for (const path of ['/dashboard', '/servers', '/preferences']) {
    await page.goto(path);
    expect(await page.evaluate(() => (window as unknown as { themeAtFirstPaint: string | undefined }).themeAtFirstPaint), path).toBe('dark');
    expect(await page.evaluate(() => (window as unknown as { backgroundAtFirstPaint: string }).backgroundAtFirstPaint), path).toBe('rgb(18, 21, 25)');
  }
  await page.getByRole('radio', { name: 'System' }).check();
  await expect.poll(async () => (await page.context().cookies()).find((cookie) => cookie.name === 'mreg_theme')?.value).toBe('system');
  await page.goto('/dashboard');
  expect(await page.evaluate(() => (window as unknown as { themeAtFirstPaint: string | undefined }).themeAtFirstPaint)).toBeUndefined();

  const fresh = await browser.newPage({ baseURL: process.env.MREG_TEST_E2E_URL, colorScheme: 'light' });
  await fresh.goto('/');
  await expect(fresh.locator('html')).not.toHaveAttribute('data-theme');
  await fresh.close();
});

test('unsaved edits on Profile are not lost without asking: a link, Back, a tenant switch, closing the tab', async ({ page }) => {
  await signIn(page, DEMO.ada);
  // Inside the app, so that Back stays in it too.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  const name = page.getByLabel('Display name');
  await name.fill('Ada, not saved');
  const asked: string[] = [];
  // Every question is answered "stay".
  page.on('dialog', (dialog) => {
    asked.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });

  // A link: asked, and staying keeps the page and the text.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  expect(asked).toEqual(['confirm: You have unsaved changes on this page. Leave it and lose them?']);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(name).toHaveValue('Ada, not saved');

  // Back: asked, and staying keeps the page, its address and the text.
  await page.evaluate(() => history.back());
  await expect.poll(() => asked.at(1)).toBe('confirm: You have unsaved changes on this page. Leave it and lose them?');
  await expect(page).toHaveURL(/\/profile$/);
  await expect(name).toHaveValue('Ada, not saved');

  // A tenant switch would start every page afresh: asked too, and staying keeps the tenant.
  await page.getByRole('button', { name: /^Active tenant: / }).click();
  await page.getByRole('button', { name: 'Fabrikam · member', exact: true }).click();
  expect(asked).toHaveLength(3);
  await expect(page.getByRole('button', { name: /^Active tenant: / })).toHaveAccessibleName('Active tenant: Contoso · admin. Switch tenant');
  await expect(name).toHaveValue('Ada, not saved');

  // Closing the tab: the browser's own question.
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => asked.at(-1)).toMatch(/^beforeunload: /);
});

test('signing out over unsaved edits asks once: agreed, the full load that follows does not ask again', async ({ page }) => {
  await signIn(page, DEMO.uma);
  await page.goto('/profile');
  await page.getByLabel('Display name').fill('Uma, not saved');
  const asked: string[] = [];
  page.on('dialog', (dialog) => {
    asked.push(dialog.type());
    void dialog.accept();
  });
  await page.getByRole('button', { name: /^Account: / }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  expect(asked).toEqual(['confirm']);
});

test('unsaved edits on Preferences: leaving asks; agreeing leaves; saved edits ask nothing', async ({ page }) => {
  await signIn(page, DEMO.uma);
  await page.goto('/preferences');
  const asked: string[] = [];
  page.on('dialog', (dialog) => {
    asked.push(dialog.message());
    void dialog.accept();
  });
  await page.getByLabel('Time zone', { exact: true }).selectOption('Asia/Tokyo');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  expect(asked).toHaveLength(1);
  await expect(page).toHaveURL(/\/dashboard$/);

  // Nothing unsaved: no question.
  await page.goto('/preferences');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  expect(asked).toHaveLength(1);
});

test.describe('the time-zone picker', () => {
  test.use({ timezoneId: 'America/Argentina/Buenos_Aires' });

  test("searches by city, name or offset, names zones by their current names, and offers the browser's zone first", async ({ page }) => {
    await signIn(page, DEMO.vic);
    await page.goto('/preferences');
    const zone = page.getByLabel('Time zone', { exact: true });
    // The browser's zone, by its current name (Chromium itself says America/Buenos_Aires), in its own group first.
    await expect(zone.locator('optgroup').first()).toHaveAttribute('label', "Your browser’s zone");
    await expect(zone.locator('optgroup').first().locator('option')).toHaveText(['UTC−03:00 · America/Argentina/Buenos Aires · Argentina Standard Time']);
    const ids = await zone.locator('option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
    expect(ids).toContain('Asia/Kolkata');
    expect(ids).toContain('Europe/Kyiv');
    for (const retired of ['Asia/Calcutta', 'Europe/Kiev', 'Asia/Saigon', 'America/Buenos_Aires']) expect(ids).not.toContain(retired);

    const search = page.getByLabel('Search time zones');
    await search.fill('kolkata');
    await expect(page.getByText('1 time zone', { exact: true })).toBeVisible();
    await expect(zone.locator('optgroup').nth(1).locator('option')).toHaveText(['UTC+05:30 · Asia/Kolkata · India Standard Time']);
    await search.fill('+09:00');
    await expect(zone.locator('optgroup').nth(1).locator('option', { hasText: 'Asia/Tokyo' })).toHaveCount(1);
    await search.fill('nowhere at all');
    await expect(page.getByText('No time zone matches “nowhere at all”.')).toBeVisible();
    await search.fill('kolkata');
    await zone.selectOption('Asia/Kolkata');
    await page.getByRole('button', { name: /^Save/ }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Language and time zone saved' })).toBeVisible();
    await page.reload();
    await expect(zone).toHaveValue('Asia/Kolkata');
    await shotBothWidths(page, 'preferences-time-zone');
  });
});
