// `pnpm start`: builds the SPA and the server when the build is missing or older than the sources,
// then runs the built server in this process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outputs = ['server/dist/main.js', 'dist/web/index.html'].map((p) => join(root, p));
const sources = [
  'server/src', 'server/scripts/build.mjs', 'server/package.json', 'shared/src', 'web/src', 'web/public',
  'web/index.html', 'vite.config.ts', 'pnpm-lock.yaml',
].map((p) => join(root, p));

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const built = outputs.every(existsSync) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
if (built < Math.max(...sources.map(newest))) {
  console.log('Building MREG (the build is missing or older than the sources)...');
  // The pnpm that runs this script: a native binary (pnpm 12) or a JavaScript file (older pnpm).
  const pnpm = process.env.npm_execpath ?? 'pnpm';
  const [command, args] = /\.[cm]?js$/.test(pnpm) ? [process.execPath, [pnpm, 'build']] : [pnpm, ['build']];
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('MREG cannot start: the build failed (see above).');
    process.exit(result.status ?? 1);
  }
}

await import(join(root, 'server/dist/main.js'));
