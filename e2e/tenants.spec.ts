import { expect, test, type Page } from '@playwright/test';
import { DEMO, shotBothWidths, signedInPage, signIn, switchTenant, tenantMenu, watchProblems } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });
// One server for the whole run: these tests change memberships, so they run in this order.
test.describe.configure({ mode: 'serial' });

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
// The Members page has two forms with an email and a role: this one, and Invite someone.
const addForm = (page: Page) => page.getByRole('form', { name: 'Add a member' });

test('uma, with one tenant, has no switcher: the header just names it', async ({ page }) => {
  await signIn(page, DEMO.uma);
  await expect(page.getByTestId('active-tenant')).toHaveText('Contoso · member');
  await expect(tenantMenu(page)).toHaveCount(0);
  // Members is there for her too, as a read-only directory (members.spec.ts).
  await expect(nav(page).getByRole('link', { name: 'Members' })).toBeVisible();
});

test('ada switches from Contoso to Fabrikam in one choice, and lands on its dashboard: header, role and menus change', async ({ page }) => {
  const problems = await watchProblems(page);
  await signIn(page, DEMO.ada);
  await expect(tenantMenu(page)).toHaveAccessibleName('Active tenant: Contoso · admin. Switch tenant');
  await expect(page.getByTestId('role')).toHaveText('admin');
  await nav(page).getByRole('link', { name: 'Members' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Members' })).toBeVisible();
  await shotBothWidths(page, 'members-contoso');

  // The menu lists her tenants, the active one marked; Escape closes it and gives the focus back.
  await tenantMenu(page).click();
  await expect(page.getByRole('button', { name: 'Contoso · admin (active)' })).toHaveAttribute('aria-current', 'true');
  await page.keyboard.press('Escape');
  await expect(tenantMenu(page)).toBeFocused();
  await expect(page.getByRole('button', { name: 'Fabrikam · member', exact: true })).toBeHidden();

  // One choice switches, and she lands on Fabrikam's dashboard, not on a page her new role may not open.
  await switchTenant(page, 'Fabrikam · member');
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeFocused();
  // Fabrikam's member has no audit:read: no link, and its address says why.
  await expect(nav(page).getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await page.goto('/audit');
  await expect(page.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeFocused();
  await expect(page.getByText('your role in Fabrikam')).toBeVisible();
  await nav(page).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('tenant')).toHaveText('Fabrikam');
  await expect(page.getByTestId('role')).toHaveText('member');
  await shotBothWidths(page, 'dashboard-fabrikam');

  // The switch holds across a reload: it lives in the server's session, not in the page.
  await page.reload();
  await expect(page.getByTestId('tenant')).toHaveText('Fabrikam');
  await switchTenant(page, 'Contoso · admin');
  await expect(page.getByTestId('tenant')).toHaveText('Contoso');
  expect(problems()).toEqual([]);
});

test('the header stays one row at 360 px, with the tenant menu and the account menu', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page, DEMO.ada);
  const boxes = await Promise.all(
    [page.getByRole('link', { name: 'MREG' }), tenantMenu(page), page.getByRole('button', { name: /^Account: / })].map(async (part) => (await part.boundingBox())!),
  );
  // Every part on one line: their vertical middles within a few pixels of each other, nothing past the edge.
  const middles = boxes.map((box) => box.y + box.height / 2);
  expect(Math.max(...middles) - Math.min(...middles)).toBeLessThan(4);
  for (const box of boxes) expect(box.x + box.width).toBeLessThanOrEqual(360);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // The navigation is one row too: its links scroll sideways, and the current one is in sight.
  const nav = page.getByRole('navigation', { name: 'Main' });
  const tops = await nav.getByRole('link').evaluateAll((links) => links.map((link) => link.getBoundingClientRect().top));
  expect(new Set(tops).size).toBe(1);
  // Opened straight (a reload, a link from elsewhere), the last link is scrolled into sight.
  await page.goto('/audit');
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const audit = await nav.getByRole('link', { name: 'Audit' }).boundingBox();
  expect(audit!.x + audit!.width).toBeLessThanOrEqual(360);
  expect((await page.getByRole('banner').boundingBox())!.height).toBeLessThan(110);
});

test('vic (viewer) never sees Audit, and its address shows "not allowed"', async ({ page }) => {
  await signIn(page, DEMO.vic);
  await expect(nav(page).getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await page.getByRole('button', { name: /^Account: / }).click();
  await expect(page.getByRole('link', { name: 'Audit' })).toHaveCount(0);
  await page.goto('/audit');
  await expect(page.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible();
  await expect(page.getByText('You are not allowed to see this page.')).toBeVisible();
  await expect(page.getByText('audit:read')).toBeVisible();
  await shotBothWidths(page, 'not-allowed');
});

// The issue asks for "ada adds uma to Fabrikam", but in the demo directory Fabrikam has no admin and
// ada is only a member there (issue 5's tests hold her to that), so nobody can add anyone to it.
// The same capability, the other way round: ada, Contoso's admin, adds vic to Contoso as a viewer.
test('ada adds vic to Contoso as a viewer; vic then can switch to Contoso', async ({ page, browser }) => {
  const vic = await signedInPage(browser, DEMO.vic);
  await expect(tenantMenu(vic)).toHaveCount(0);

  await signIn(page, DEMO.ada);
  await page.goto('/members');
  await addForm(page).getByLabel('Email').fill(DEMO.vic);
  await addForm(page).getByLabel('Role', { exact: true }).selectOption('viewer');
  await addForm(page).getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByRole('status').filter({ hasText: /added/i })).toBeVisible();
  const vicRow = page.getByRole('row', { name: /vic@fabrikam\.test/ });
  await expect(vicRow).toBeVisible();

  // Choosing a role changes nothing until it is applied, and Cancel keeps the old one.
  const updates: string[] = [];
  page.on('request', (request) => request.url().includes('tenants.updateMember') && updates.push(request.url()));
  const changeRole = async (role: 'Member' | 'Viewer') => {
    await vicRow.getByRole('button', { name: /^Actions for / }).click();
    await page.getByRole('menuitem', { name: 'Change role…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Change the role of / });
    await dialog.getByRole('radio', { name: new RegExp(`^${role}`) }).check();
    return dialog;
  };
  const dialog = await changeRole('Member');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(vicRow.getByRole('cell', { name: 'Viewer', exact: true })).toBeVisible();
  expect(updates).toEqual([]);
  await (await changeRole('Member')).getByRole('button', { name: / a member$/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is now a member' })).toBeVisible();
  expect(updates).toHaveLength(1);
  await (await changeRole('Viewer')).getByRole('button', { name: / a viewer$/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is now a viewer' })).toBeVisible();

  // ada is Contoso's only admin: her row says so before anyone tries, and her menu offers nothing that would change it.
  const adaRow = page.getByRole('row', { name: /ada@contoso\.test/ });
  await expect(adaRow).toContainText('Only admin: make someone else an admin first');
  await adaRow.getByRole('button', { name: /^Actions for / }).click();
  for (const name of ['Change role…', 'Deactivate…', 'Remove…']) {
    await expect(page.getByRole('menuitem', { name })).toHaveAttribute('aria-disabled', 'true');
  }
  // Chosen anyway, it does nothing.
  await page.getByRole('menuitem', { name: 'Remove…' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await shotBothWidths(page, 'members-last-admin');
  await page.keyboard.press('Escape');

  // vic's next look at the app has the new tenant.
  await vic.reload();
  await expect(tenantMenu(vic)).toBeVisible();
  await switchTenant(vic, 'Contoso · viewer');
  await expect(vic.getByTestId('active-tenant')).toHaveText('Contoso · viewer');
  await expect(vic.getByTestId('tenant')).toHaveText('Contoso');
  await expect(vic.getByTestId('role')).toHaveText('viewer');
  await vic.context().close();
});

test("the server's refusals are explained by their reason: uma's home tenant, someone already a member", async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/members');

  // Contoso is uma's home tenant: the server refuses (409 home_tenant), and the page says what to do instead.
  const umaRow = page.getByRole('row', { name: /uma@contoso\.test/ });
  await umaRow.getByRole('button', { name: /^Actions for / }).click();
  await page.getByRole('menuitem', { name: 'Remove…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'This is their home tenant' });
  await expect(refusal).toContainText('Deactivate them instead.');
  await expect(refusal).toContainText('The server said: Contoso is the home tenant of uma@contoso.test');
  await expect(umaRow).toBeVisible();

  // Already a member (409 already_member): said beside the email, not in a banner.
  await addForm(page).getByLabel('Email').fill(DEMO.uma);
  await addForm(page).getByRole('button', { name: 'Add member' }).click();
  await expect(addForm(page).locator('.field-error')).toHaveText(`${DEMO.uma} is already a member of Contoso`);
  await expect(addForm(page).getByLabel('Email')).toBeFocused();
});
