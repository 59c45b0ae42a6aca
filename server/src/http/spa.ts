import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import express, { Router } from 'express';
import expressStaticGzip from 'express-static-gzip';
import { APPEARANCE_COOKIES } from '@mreg/shared';
import { isLanguageTag, LANGUAGE_COOKIE } from '../i18n';

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MREG</title></head>
<body><h1>The MREG web app is not built</h1>
<p>Run <code>pnpm build</code> and restart, or use <code>pnpm dev</code> and open the Vite address it prints.</p></body></html>`;

/** The cookie the app writes with the person's theme (web/src/prefs/usePreferences.ts); not a secret. */
export const THEME_COOKIE = APPEARANCE_COOKIES.theme;

/**
 * index.html with the theme the browser last showed on <html>, so that a dark page is dark from its
 * first paint instead of flashing light until the app has read the preference: no inline script,
 * so the CSP stays as strict. Only the two values the stylesheet knows are written; anything else
 * (system, absent, tampered) leaves the page to the system's colours, as the app would.
 */
function withTheme(html: string, theme: unknown): string {
  if (theme !== 'light' && theme !== 'dark') return html;
  return html.replace(/<html\b/i, `<html data-theme="${theme}"`);
}

/** And <html lang> as the app last said it (en-GB, de-DE), for a screen reader's first words; only a tag of the app's languages. */
function withLanguage(html: string, tag: unknown): string {
  if (!isLanguageTag(tag)) return html;
  return html.replace(/(<html\b[^>]*?\s)lang="[^"]*"/i, `$1lang="${tag}"`);
}

/** index.html, read again only when the build replaced it. */
function indexReader(path: string): () => Promise<string | null> {
  let cached: { mtimeMs: number; html: string } | null = null;
  return async () => {
    const found = await stat(path).catch(() => null);
    if (!found) return null;
    if (cached?.mtimeMs !== found.mtimeMs) cached = { mtimeMs: found.mtimeMs, html: await readFile(path, 'utf8') };
    return cached.html;
  };
}

/**
 * The built SPA (Epic Stack order): hashed assets cached for a year, precompressed when the client
 * accepts it, other files as they are, and index.html for HTML navigations without a file
 * extension. Anything else falls through to the 404.
 */
export function spaRoutes(webDir: string): Router {
  const routes = Router();
  const readIndex = indexReader(join(webDir, 'index.html'));

  // The build writes .br and .gz beside each hashed asset (vite.config.ts); express-static-gzip
  // sends the one Accept-Encoding allows, with its Content-Encoding and Vary, through serve-static.
  // It lists the compressed files once, here: a rebuild under a running server is served plain.
  routes.use(
    '/assets',
    expressStaticGzip(join(webDir, 'assets'), {
      enableBrotli: true,
      orderPreference: ['br', 'gzip'],
      index: false,
      serveStatic: { immutable: true, maxAge: '1y', index: false, fallthrough: true },
    }),
  );
  routes.use(express.static(webDir, { index: false, maxAge: 0 }));
  routes.use(async (req, res, next) => {
    // A browser navigation names text/html; `Accept: */*` alone (fetch, curl) gets index.html only
    // at the root.
    const wantsHtml = req.path === '/' || (req.get('accept') ?? '').includes('text/html');
    const isNavigation =
      (req.method === 'GET' || req.method === 'HEAD') &&
      extname(req.path) === '' &&
      !req.path.startsWith('/assets/') &&
      wantsHtml;
    if (!isNavigation) return next();
    res.set('Cache-Control', 'no-cache');
    // The page differs by the theme cookie: a shared cache must not hand one person's to another.
    res.vary('Cookie');
    const html = await readIndex();
    if (html === null) return res.status(503).type('html').send(NOT_BUILT);
    const cookies = req.cookies as Record<string, unknown> | undefined;
    res.type('html').send(withLanguage(withTheme(html, cookies?.[THEME_COOKIE]), cookies?.[LANGUAGE_COOKIE]));
  });
  return routes;
}
