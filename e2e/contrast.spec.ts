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
