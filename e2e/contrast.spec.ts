import { expect, test, type Locator } from '@playwright/test';
import { DEMO, signIn } from './support';

test.use({ baseURL: process.env.MREG_TEST_E2E_URL });

/** sRGB channels 0..1 of a computed colour: `rgb(…)` or, from color-mix(), `color(srgb …)`. */
function channels(css: string): number[] {
  const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)/.exec(css);
  if (srgb) return srgb.slice(1, 4).map(Number);
  const rgb = /^rgba?\((\d+(?:\.\d+)?),? (\d+(?:\.\d+)?),? (\d+(?:\.\d+)?)/.exec(css);
  if (rgb) return rgb.slice(1, 4).map((v) => Number(v) / 255);
  throw new Error(`Unexpected colour ${css}`);
}

/** WCAG 2 contrast ratio of two computed colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, b] = channels(css).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const style = (locator: Locator, ...properties: string[]) =>
  locator.evaluate((el, names) => names.map((name) => getComputedStyle(el).getPropertyValue(name)), properties);

test('the Active badge meets WCAG AA text contrast (4.5:1) in the light and the dark theme', async ({ page }) => {
  await signIn(page, DEMO.ada);
  await page.goto('/members');
  const badge = page.locator('.badge-active').first();
  await expect(badge).toHaveText('Active');
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    const [color, background] = await style(badge, 'color', 'background-color');
    expect(contrast(color!, background!), `${theme}: ${color} on ${background}`).toBeGreaterThanOrEqual(4.5);
  }
});

test("the development provider's buttons and input show a focus ring of at least 3:1", async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  const card = page.locator('main');
  const [cardBackground] = await style(card, 'background-color');
  const targets = [
    page.getByRole('button', { name: new RegExp(DEMO.ada.replace('.', '\\.')) }),
    page.getByRole('textbox'),
    page.getByRole('button', { name: 'Sign in as this person' }),
    page.getByRole('button', { name: 'Cancel' }),
  ];
  // From the keyboard, as a person without a mouse reaches them.
  for (const target of targets) {
    for (let i = 0; i < 20 && !(await target.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
    await expect(target).toBeFocused();
    const [outlineStyle, outlineWidth, outlineColor] = await style(target, 'outline-style', 'outline-width', 'outline-color');
    expect(outlineStyle).toBe('solid');
    expect(parseFloat(outlineWidth!)).toBeGreaterThanOrEqual(2);
    expect(contrast(outlineColor!, cardBackground!), `${outlineColor} on ${cardBackground}`).toBeGreaterThanOrEqual(3);
  }
});
