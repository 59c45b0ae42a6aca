import { fileURLToPath } from 'node:url';
import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { compression } from 'vite-plugin-compression2';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));
const report = process.env.MREG_TEST_REPORT;

/**
 * The SPA build (web/ into dist/web) and dev server, and the vitest projects: unit tests beside the
 * code, integration tests (*.int.test.ts) against a real database and cache.
 */
export default defineConfig(({ mode }) => {
  // The MREG server behind `pnpm dev`; .env at the repo root is read as for the server.
  const server = loadEnv(mode, repoRoot, 'VITE_').VITE_API_BASE_URL ?? 'http://127.0.0.1:8000';
  return {
    root: 'web',
    envDir: repoRoot,
    plugins: [
      react(),
      // Gzip and brotli beside each hashed asset, for the server to pick by Accept-Encoding
      // (server/src/http/spa.ts); index.html stays plain, as the SPA fallback sends it.
      compression({ include: /^assets\/.+\.(?:js|css|svg)$/, algorithms: ['gzip', 'brotliCompress'] }),
    ],
    build: {
      outDir: '../dist/web',
      emptyOutDir: true,
      // No source maps in the served build: the sources stay in the repository.
      sourcemap: false,
    },
    server: {
      host: '127.0.0.1',
      port: 5173,
      strictPort: true,
      proxy: Object.fromEntries(['/trpc', '/auth', '/avatars', '/dev-idp', '/healthz', '/readyz', '/mcp', '/.well-known', '/register', '/authorize', '/token', '/revoke'].map((path) => [path, server])),
    },
    test: {
      root: repoRoot,
      reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
      projects: [
        {
          test: {
            name: 'unit',
            root: repoRoot,
            sequence: { groupOrder: 0 },
            include: ['{server,shared,web}/src/**/*.test.{ts,tsx}'],
            exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          },
        },
        {
          test: {
            name: 'integration',
            root: repoRoot,
            // Integration runs after the unit tests, with its own worker limit.
            sequence: { groupOrder: 1 },
            include: ['{server,client}/src/**/*.int.test.ts'],
            globalSetup: ['server/src/testing/global-setup.ts'],
            pool: 'forks',
            maxWorkers: 2,
            testTimeout: 30_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});
