// Before the tests: the browser tests run in Debian's chromium, which a fresh machine lacks and no
// test tool may download here (STACK.md, "Browser tests"). As root, or with passwordless sudo, it
// is installed from Debian's packages, the way `playwright install --with-deps` would elsewhere;
// otherwise the run stops at once with the one command to run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const DEFAULT = '/usr/bin/chromium';
const chromium = process.env.MREG_TEST_CHROMIUM ?? DEFAULT;
const INSTALL = 'apt-get update && apt-get install -y chromium';

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

if (executable(chromium)) process.exit(0);
if (chromium !== DEFAULT) stop(`MREG_TEST_CHROMIUM is ${chromium}, which is not an executable file.`);

const hasApt = succeeds('sh', ['-c', 'command -v apt-get']);
const asRoot = process.getuid?.() === 0;
const sudo = !asRoot && succeeds('sudo', ['-n', 'true']);
if (!hasApt) stop(`The browser tests need chromium at ${DEFAULT} (or MREG_TEST_CHROMIUM naming one), and this machine has no apt-get to install it.`);
if (!asRoot && !sudo) stop(`The browser tests need Debian's chromium at ${DEFAULT}. Install it, then run the tests again:\n\n  sudo sh -c '${INSTALL}'`);

// sudo resets the environment: DEBIAN_FRONTEND goes through env, or debconf may stop to ask.
const prefix = asRoot ? [] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
console.log(`No chromium at ${DEFAULT}: installing Debian's package for the browser tests (${asRoot ? '' : 'sudo '}${INSTALL})`);
for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', 'chromium']]) {
  const [command, ...rest] = [...prefix, ...args];
  console.log(`$ ${[command, ...rest].join(' ')}`);
  const result = spawnSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) stop(`${args.join(' ')} failed (exit ${result.status ?? result.signal}); install chromium by hand: ${INSTALL}`);
}
if (!executable(DEFAULT)) stop(`chromium was installed but ${DEFAULT} is still missing.`);
console.log(`Installed ${DEFAULT}.`);
