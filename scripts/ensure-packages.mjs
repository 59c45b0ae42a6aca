// Before the tests: what they run from Debian's packages, which a fresh machine lacks and no test
// tool may download here (STACK.md, "Browser tests"): chromium for the browser tests, HAProxy for
// the topology tests, redis-server for the tests' own Redis servers and sentinels (the machine's
// Redis may be elsewhere, or a service with another package). As root, or with passwordless sudo,
// the missing ones are installed with apt-get, the way `playwright install --with-deps` would
// elsewhere; otherwise the run stops at once with the one command to run.
//
//   node scripts/ensure-packages.mjs [chromium|haproxy|redis-server ...]   (all three when none is named)
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const PACKAGES = {
  chromium: { path: process.env.MREG_TEST_CHROMIUM ?? '/usr/bin/chromium', default: '/usr/bin/chromium', variable: 'MREG_TEST_CHROMIUM', for: 'the browser tests' },
  haproxy: { path: '/usr/sbin/haproxy', default: '/usr/sbin/haproxy', for: 'the topology tests (several instances behind a load balancer)' },
  'redis-server': { path: '/usr/bin/redis-server', default: '/usr/bin/redis-server', for: "the tests' own Redis servers and sentinels" },
};

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function stop(message) {
  console.error(`\n${message}\n`);
  process.exit(1);
}

function succeeds(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const asked = process.argv.slice(2);
for (const name of asked) if (!(name in PACKAGES)) stop(`Unknown package ${name}; known: ${Object.keys(PACKAGES).join(', ')}`);
const wanted = asked.length > 0 ? asked : Object.keys(PACKAGES);
const missing = wanted.filter((name) => !executable(PACKAGES[name].path));
if (missing.length === 0) process.exit(0);
for (const name of missing) {
  const p = PACKAGES[name];
  if (p.path !== p.default) stop(`${p.variable} is ${p.path}, which is not an executable file.`);
}

const install = `apt-get update && apt-get install -y ${missing.join(' ')}`;
const needs = missing.map((name) => `${PACKAGES[name].default} (${name}, for ${PACKAGES[name].for})`).join(', ');
const hasApt = succeeds('sh', ['-c', 'command -v apt-get']);
const asRoot = process.getuid?.() === 0;
const sudo = !asRoot && succeeds('sudo', ['-n', 'true']);
if (!hasApt) stop(`The tests need ${needs}, and this machine has no apt-get to install them.`);
if (!asRoot && !sudo) stop(`The tests need Debian's ${needs}. Install them, then run the tests again:\n\n  sudo sh -c '${install}'`);

// sudo resets the environment: DEBIAN_FRONTEND goes through env, or debconf may stop to ask.
const prefix = asRoot ? [] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
console.log(`Missing ${needs}: installing Debian's packages (${asRoot ? '' : 'sudo '}${install})`);
for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', ...missing]]) {
  const [command, ...rest] = [...prefix, ...args];
  console.log(`$ ${[command, ...rest].join(' ')}`);
  const result = spawnSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) stop(`${args.join(' ')} failed (exit ${result.status ?? result.signal}); install them by hand: ${install}`);
}
const still = missing.filter((name) => !executable(PACKAGES[name].default));
if (still.length > 0) stop(`apt-get installed ${missing.join(' ')}, but ${still.map((name) => PACKAGES[name].default).join(', ')} is still missing.`);
console.log(`Installed ${missing.map((name) => PACKAGES[name].default).join(', ')}.`);
