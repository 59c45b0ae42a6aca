import { expect, test, type Page } from '@playwright/test';
import { DEMO, shotBothWidths, signIn, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });
// One server for the whole run: these tests invite and change roles, and put everything back.
test.describe.configure({ mode: 'serial' });

/** Where the screenshots for a person to look at go, beside test-results/ (never committed). */
const SHOTS = process.env.MREG_TEST_SHOTS;

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const h1 = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });
const table = (page: Page, tenant: string) => page.getByRole('table', { name: `Members of ${tenant}` });
const row = (page: Page, text: string) => page.getByRole('row', { name: new RegExp(text.replace(/\./g, '\\.')) });
const menuButton = (page: Page, email: string) => row(page, email).getByRole('button', { name: /^Actions for / });
/** The search and filters over ada's list (the page's one search landmark, in either language). */
const finder = (page: Page) => page.getByRole('search');

/** The signed-in person's language preference (null: the browser's), through the app's own API. */
async function setLanguage(page: Page, language: string | null): Promise<void> {
  const status = await page.evaluate(async (value) => {
    const response = await fetch('/trpc/auth.updatePreferences', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mreg-csrf': '1' },
      body: JSON.stringify({ category: 'ui', preferences: { language: value } }),
    });
    return response.status;
  }, language);
  expect(status).toBe(200);
}

test('uma (a member) sees who is in Contoso and who its admin is: names and roles, no email, no action', async ({ page }) => {
  const problems = await watchProblems(page);
  await signIn(page, DEMO.uma);
  await nav(page).getByRole('link', { name: 'Members' }).click();
  await expect(h1(page, 'Members')).toBeFocused();
  await expect(page.locator('.directory-admins')).toHaveText('Ada Lovelace is the admin of Contoso: ask them to invite someone, or to change a role.');
  const people = table(page, 'Contoso');
  await expect(people.getByRole('row')).toHaveCount(3);
  await expect(row(page, 'Ada Lovelace')).toContainText('Admin');
  await expect(row(page, 'Uma Umarova')).toContainText('Member');
  await expect(row(page, 'Uma Umarova')).toContainText('You');
  // Read-only: no address of anyone, no button, none of the admin's forms or lists.
  await expect(page.locator('main')).not.toContainText('@');
  await expect(page.locator('main').getByRole('button')).toHaveCount(0);
  await expect(page.getByRole('form')).toHaveCount(0);
  await expect(page.getByRole('region', { name: /^Pending invitations/ })).toHaveCount(0);
  await shotBothWidths(page, 'members-directory');
  if (SHOTS) {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.screenshot({ path: `${SHOTS}/members-directory-360.png`, fullPage: true });
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);
  expect(problems()).toEqual([]);
});

test('a page beyond one’s role says "not allowed" and names whom to ask: Contoso’s admin, or that Fabrikam has none', async ({ page, browser }) => {
  await signIn(page, DEMO.uma);
  await page.goto('/audit');
  await expect(h1(page, 'Not allowed')).toBeFocused();
  await expect(page.getByText('audit:read')).toBeVisible();
  await expect(page.getByText('To change your role, ask the admin of Contoso: Ada Lovelace.')).toBeVisible();

  // vic, in Fabrikam, where nobody is an admin, and where no one of Contoso appears.
  const context = await browser.newContext({ baseURL: process.env.MREG_TEST_E2E_URL });
  const vic = await context.newPage();
  await signIn(vic, DEMO.vic);
  await vic.goto('/audit');
  await expect(vic.getByText('Fabrikam has no active admin at the moment, so no one there can change your role.')).toBeVisible();
  await vic.goto('/members');
  await expect(table(vic, 'Fabrikam').getByRole('row')).toHaveCount(3);
  await expect(row(vic, 'Vic Vance')).toContainText('Viewer');
  await expect(row(vic, 'Ada Lovelace')).toContainText('Member');
  await expect(vic.getByText('Uma Umarova')).toHaveCount(0);
  await expect(vic.locator('.directory-admins')).toContainText('Fabrikam has no active admin at the moment');
  await context.close();
});

test("ada's list: search, role and status filters, a menu per row from the keyboard, and the only admin's note", async ({ page }) => {
  const problems = await watchProblems(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, DEMO.ada);
  await page.goto('/members');
  const members = table(page, 'Contoso');
  await expect(members.getByRole('row')).toHaveCount(3);

  // ada is the only admin: her row says why its actions are unavailable, and her menu button says it too.
  const note = 'Only admin: make someone else an admin first';
  await expect(row(page, DEMO.ada)).toContainText(note);
  await expect(menuButton(page, DEMO.ada)).toHaveAccessibleDescription(note);
  await expect(row(page, DEMO.uma)).not.toContainText(note);

  // The menu button from the keyboard: Enter opens it on its first item, arrows move, Escape closes it and focus returns.
  const button = menuButton(page, DEMO.ada);
  await expect(button).toHaveAttribute('aria-haspopup', 'menu');
  await button.focus();
  await page.keyboard.press('Enter');
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  const menu = page.getByRole('menu', { name: /^Actions for Ada/ });
  await expect(menu.getByRole('menuitem', { name: 'Change role…' })).toBeFocused();
  await expect(menu.getByRole('menuitem', { name: 'Change role…' })).toHaveAttribute('aria-disabled', 'true');
  await page.keyboard.press('ArrowUp');
  await expect(menu.getByRole('menuitem', { name: 'Remove…' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem', { name: 'Change role…' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(button).toBeFocused();

  // Changing uma's role: the table keeps its size while the menu and the dialog are open, and after.
  const size = async () => {
    const { width, height } = (await members.boundingBox())!;
    return { width, height };
  };
  const before = await size();
  await menuButton(page, DEMO.uma).click();
  await page.getByRole('menuitem', { name: 'Change role…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change the role of Uma Umarova' });
  await expect(dialog.getByRole('radio', { name: /^Member/ })).toBeChecked();
  await expect(dialog.getByRole('radio', { name: /^Member/ })).toBeFocused();
  await expect(dialog.getByRole('button', { name: 'Change role' })).toBeDisabled();
  await dialog.getByRole('radio', { name: /^Viewer/ }).check();
  expect(await size()).toEqual(before);
  await dialog.getByRole('button', { name: 'Make Uma Umarova a viewer' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Uma Umarova is now a viewer.' })).toBeVisible();
  await expect(menuButton(page, DEMO.uma)).toBeFocused();
  await expect(row(page, DEMO.uma).getByRole('cell', { name: 'Viewer', exact: true })).toBeVisible();
  expect(await size()).toEqual(before);

  // Search by name or email; each narrowing is said, and nothing found says so, with a way back.
  await finder(page).getByLabel('Search').fill('umarova');
  await expect(members.getByRole('row')).toHaveCount(2);
  await expect(page.getByText('1 member matches.')).toBeVisible();
  await finder(page).getByLabel('Search').fill('ADA@contoso');
  await expect(row(page, DEMO.ada)).toBeVisible();
  await expect(row(page, DEMO.uma)).toHaveCount(0);
  await finder(page).getByLabel('Search').fill('nobody here');
  await expect(page.getByText('No member matches “nobody here”.')).toBeVisible();
  await expect(members).toHaveCount(0);
  await shotBothWidths(page, 'members-no-match');
  // From the keyboard (a mouse click right after the resizing screenshots lands beside it in headless chromium).
  await page.getByRole('button', { name: 'Clear the search and filters' }).focus();
  await page.keyboard.press('Enter');
  await expect(members.getByRole('row')).toHaveCount(3);
  await expect(finder(page).getByLabel('Search')).toHaveValue('');
  await expect(finder(page).getByLabel('Search')).toBeFocused();

  // Role and status filters.
  await finder(page).getByLabel('Role').selectOption('viewer');
  await expect(members.getByRole('row')).toHaveCount(2);
  await expect(row(page, DEMO.uma)).toBeVisible();
  await finder(page).getByLabel('Role').selectOption('all');
  await finder(page).getByLabel('Status').selectOption('deactivated');
  await expect(page.getByText('No member matches these filters.')).toBeVisible();
  await finder(page).getByLabel('Status').selectOption('active');
  await expect(members.getByRole('row')).toHaveCount(3);
  await finder(page).getByLabel('Status').selectOption('all');

  // uma is a member again, as the other specs expect.
  await menuButton(page, DEMO.uma).click();
  await page.getByRole('menuitem', { name: 'Change role…' }).click();
  await dialog.getByRole('radio', { name: /^Member/ }).check();
  await dialog.getByRole('button', { name: 'Make Uma Umarova a member' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Uma Umarova is now a member.' })).toBeVisible();

  // The page as an admin sees it, with a row's menu open.
  await menuButton(page, DEMO.uma).click();
  await expect(page.getByRole('menu')).toBeVisible();
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/members-admin-1280.png`, fullPage: true });
  await shotBothWidths(page, 'members-admin-menu');
  // Nothing of it, the open menu included, is wider than a 360 px phone.
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.keyboard.press('Escape');
  expect(problems()).toEqual([]);
});

test('re-inviting someone with an open invitation says so beside the email, and resends it there with a new link', async ({ page }) => {
  const email = 'sam@northwind.test';
  await signIn(page, DEMO.ada);
  await page.goto('/members');
  const form = page.getByRole('form', { name: 'Invite someone' });
  await form.getByLabel('Email').fill(email);
  await form.getByRole('button', { name: 'Create invitation link' }).click();
  const first = page.getByRole('region', { name: `Invitation link for ${email}` });
  const firstLink = await first.getByRole('textbox', { name: 'Invitation link' }).inputValue();
  await first.getByRole('button', { name: 'Done' }).click();

  await form.getByLabel('Email').fill(` SAM@northwind.test`);
  await form.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(form.locator('.field-error')).toHaveText(`${email} has an open invitation to Contoso already; resend it for a new link, or revoke it first`);
  await expect(form.getByLabel('Email')).toBeFocused();
  await shotBothWidths(page, 'members-already-invited');
  await form.getByRole('button', { name: 'Resend that invitation with a new link' }).click();
  const renewed = page.getByRole('region', { name: `New invitation link for ${email}` });
  await expect(renewed).toContainText('The previous link for this invitation no longer works.');
  await expect(renewed.getByRole('textbox', { name: 'Invitation link' })).toBeFocused();
  expect(await renewed.getByRole('textbox', { name: 'Invitation link' }).inputValue()).not.toBe(firstLink);
  await renewed.getByRole('button', { name: 'Done' }).click();

  // Still one invitation for sam; revoked, so that none is left pending for the other specs.
  const pending = page.getByRole('region', { name: /^Pending invitations/ });
  await expect(pending.getByRole('row', { name: /sam@northwind\.test/ })).toHaveCount(1);
  await pending.getByRole('button', { name: `Revoke the invitation of ${email}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke invitation' }).click();
  await expect(pending.getByText('No pending invitations.')).toBeVisible();
});

test('in German, the members page has German headings and role names', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await setLanguage(page, 'de-DE');
  try {
    await page.goto('/members');
    await expect(h1(page, 'Mitglieder')).toBeVisible();
    await expect(page.getByText('Personen in Contoso')).toBeVisible();
    for (const name of ['Jemanden einladen', 'Mitglied hinzufügen', 'Mitglieder von Contoso', 'Offene Einladungen']) {
      await expect(page.getByRole('heading', { level: 2, name: new RegExp(`^${name}`) })).toBeVisible();
    }
    const members = page.getByRole('table', { name: 'Mitglieder von Contoso' });
    await expect(members.getByRole('columnheader', { name: 'Rolle' })).toBeVisible();
    await expect(row(page, DEMO.ada).getByRole('cell', { name: 'Admin', exact: true })).toBeVisible();
    await expect(row(page, DEMO.uma).getByRole('cell', { name: 'Mitglied', exact: true })).toBeVisible();
    await expect(row(page, DEMO.ada)).toContainText('Einziger Admin: Machen Sie zuerst jemand anderen zum Admin');
    await expect(finder(page).getByLabel('Rolle').locator('option')).toHaveText(['Alle Rollen', 'Betrachter', 'Mitglied', 'Admin']);
    await expect(page.getByRole('button', { name: /^Aktionen für Uma/ })).toBeVisible();
    await shotBothWidths(page, 'members-german');
  } finally {
    await setLanguage(page, null);
  }
});
