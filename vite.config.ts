import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const server = 'http://127.0.0.1:8000';
const report = process.env.MREG_TEST_REPORT;

/**
 * The SPA build (web/ into dist/web) and dev server, and the vitest projects: unit tests beside the
 * code, integration tests (*.int.test.ts) against a real database and cache.
 */
export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(['/trpc', '/auth', '/dev-idp', '/healthz', '/readyz'].map((path) => [path, server])),
  },
  test: {
    root: '.',
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          root: '.',
          include: ['{server,shared,web}/src/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          root: '.',
          include: ['server/src/**/*.int.test.ts'],
          globalSetup: ['server/src/testing/global-setup.ts'],
          pool: 'forks',
          maxWorkers: 2,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
