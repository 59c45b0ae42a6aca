// Bundles the server (and @mreg/shared, which ships as TypeScript) into server/dist/main.js (beside server/node_modules, where its dependencies resolve).
// Every npm dependency stays external and is loaded from node_modules at run time.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('server/package.json', root), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((name) => !name.startsWith('@mreg/'));

await build({
  entryPoints: [new URL('server/src/main.ts', root).pathname],
  outfile: new URL('server/dist/main.js', root).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external,
  logLevel: 'warning',
});
console.log('Built server/dist/main.js');
