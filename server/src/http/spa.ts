import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import express, { Router } from 'express';
import expressStaticGzip from 'express-static-gzip';

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MREG</title></head>
<body><h1>The MREG web app is not built</h1>
<p>Run <code>pnpm build</code> and restart, or use <code>pnpm dev</code> and open the Vite address it prints.</p></body></html>`;

/**
 * The built SPA (Epic Stack order): hashed assets cached for a year, precompressed when the client
 * accepts it, other files as they are, and index.html for HTML navigations without a file
 * extension. Anything else falls through to the 404.
 */
export function spaRoutes(webDir: string): Router {
  const routes = Router();
  const indexHtml = join(webDir, 'index.html');

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
  routes.use((req, res, next) => {
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
    if (!existsSync(indexHtml)) return res.status(503).type('html').send(NOT_BUILT);
    res.sendFile(indexHtml);
  });
  return routes;
}
