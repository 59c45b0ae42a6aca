import { crc32, deflateSync } from 'node:zlib';
import { expect, test, type Browser, type Page } from '@playwright/test';

export const DEMO = {
  ada: 'ada@contoso.test',
  uma: 'uma@contoso.test',
  vic: 'vic@fabrikam.test',
} as const;

/**
 * Collects what would show a broken page: uncaught errors, console errors and CSP violations.
 * A 401 is expected where nobody is signed in (chromium logs every 4xx as a console error).
 */
export async function watchProblems(page: Page): Promise<() => string[]> {
  const problems: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || /status of 401/.test(msg.text())) return;
    problems.push(`${page.url()}: ${msg.text()}`);
  });
  return () => problems;
}

/** The whole sign-in of a demo person through the development provider, from the app's sign-in page. */
export async function signIn(page: Page, email: string, startAt = '/'): Promise<void> {
  await page.goto(startAt);
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: new RegExp(email.replace('.', '\\.')) }).click();
  await expect(page.getByRole('button', { name: /^Account: / })).toBeVisible();
}

/** A new browser context (its own cookies: another device) signed in as `email`. */
export async function signedInPage(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: process.env.MREG_TEST_E2E_URL });
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Account: / }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
}

/** A screenshot kept with the test's results (test-results/, never committed), for a person to look at. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/** Both widths the app promises: a desktop and a 360 px phone. */
export async function shotBothWidths(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  await shot(page, name);
  await page.setViewportSize({ width: 360, height: 740 });
  await shot(page, `${name}-360`);
  if (size) await page.setViewportSize(size);
}

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const chunk = (type: string, data: Buffer) => {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  return Buffer.concat([u32(data.length), typed, u32(crc32(typed))]);
};

/** A square PNG of one colour (8-bit RGB), for avatar uploads. */
export function pngSquare([r, g, b]: [number, number, number], size = 48): Buffer {
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', Buffer.concat([u32(size), u32(size), Buffer.from([8, 2, 0, 0, 0])])),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: size }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The header's tenant menu (people with several tenants); its name says the active one. */
export const tenantMenu = (page: Page) => page.getByRole('button', { name: /^Active tenant: / });

/** Switches through the header's menu: one choice, and the dashboard of the new tenant. */
export async function switchTenant(page: Page, label: string): Promise<void> {
  await tenantMenu(page).click();
  await page.getByRole('button', { name: label, exact: true }).click();
  await expect(tenantMenu(page)).toHaveAccessibleName(`Active tenant: ${label}. Switch tenant`);
  await expect(page).toHaveURL(/\/dashboard$/);
}
