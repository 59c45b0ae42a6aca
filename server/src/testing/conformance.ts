import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './processes';

/**
 * The MCP conformance suite (@modelcontextprotocol/conformance) and its fixture server, from the
 * team's read-only folder beside the clone (../shared/conformance, see its README): copied to a
 * temporary directory, installed there with npm, and run as separate processes. Everything it
 * starts is stopped, and the directory removed, by `close()`.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const CONFORMANCE_SOURCE = resolve(repoRoot, '..', 'shared', 'conformance');

/** The environment for the suite's processes: this one's, without the test run's Node options or MREG_ variables. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('MREG_') && !key.startsWith('VITEST'));
  return { ...Object.fromEntries(kept), ...extra };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (its whole process group killed past `timeoutMs`). */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${command} ${args.join(' ')} took longer than ${options.timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Ends a child started with `detached: true` and everything it started (its process group, by its id). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** One check of a scenario, as the suite writes it in <output>/<scenario dir>/checks.json. */
export interface Check {
  scenario: string;
  id: string;
  status: string;
  /** The suite's words for a failure. */
  errorMessage?: string;
}

export interface SuiteResult {
  checks: Check[];
  passed: number;
  failed: number;
  /** The suite's own summary, as it printed it. */
  summary: string;
}

/** `<scenario>: <check id>` of each check with that status, sorted. */
export const checksWith = (result: SuiteResult, status: string) =>
  result.checks.filter((c) => c.status === status).map((c) => `${c.scenario}: ${c.id}`).sort();

export interface Conformance {
  dir: string;
  /** The fixture server's MCP URL (on 127.0.0.1). */
  fixtureUrl: string;
  /** Runs the suite's active server scenarios (or one) against `url`. */
  runSuite(url: string, scenario?: string): Promise<SuiteResult>;
  close(): Promise<void>;
}

export async function startConformance(): Promise<Conformance> {
  if (!existsSync(join(CONFORMANCE_SOURCE, 'fixture-server.ts'))) {
    throw new Error(`The conformance harness is not at ${CONFORMANCE_SOURCE} (CI puts the team's shared folder beside the clone)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'mreg-conformance-'));
  const children: ChildProcess[] = [];
  const close = async () => {
    for (const child of children) {
      killGroup(child);
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await cp(CONFORMANCE_SOURCE, dir, { recursive: true });
    // As root too: npm then runs no install script as another user, which this install does not need.
    const installed = await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env: cleanEnv({}), timeoutMs: 180_000 });
    if (installed.code !== 0) throw new Error(`npm install in ${dir} failed (${installed.code}):\n${installed.stdout}\n${installed.stderr}`);

    const port = await freePort();
    const fixture = spawn(process.execPath, ['--import', 'tsx', 'fixture-server.ts'], {
      cwd: dir,
      env: cleanEnv({ PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(fixture);
    let output = '';
    fixture.stdout!.on('data', (chunk) => (output += chunk));
    fixture.stderr!.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 30_000;
    while (!output.includes('running on')) {
      if (fixture.exitCode !== null) throw new Error(`The fixture server exited with ${fixture.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`The fixture server did not start within 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    let runs = 0;
    const runSuite = async (url: string, scenario?: string): Promise<SuiteResult> => {
      const out = join(dir, `results-${++runs}`);
      const args = ['--no', 'conformance', 'server', '--url', url, '-o', out, ...(scenario ? ['--scenario', scenario] : [])];
      const ran = await run('npx', args, { cwd: dir, env: cleanEnv({ NODE_OPTIONS: `--import ${join(dir, 'node20.mjs')}` }), timeoutMs: 240_000 });
      const checks: Check[] = [];
      for (const entry of existsSync(out) ? await readdir(out) : []) {
        const name = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
        const file = join(out, entry, 'checks.json');
        if (!existsSync(file)) continue;
        for (const check of JSON.parse(await readFile(file, 'utf8')) as { id: string; status: string; errorMessage?: string }[]) {
          checks.push({ scenario: name, id: check.id, status: check.status, errorMessage: check.errorMessage });
        }
      }
      const summary = ran.stdout.slice(Math.max(0, ran.stdout.indexOf('=== SUMMARY ===')));
      if (checks.length === 0) throw new Error(`The conformance suite wrote no results (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
      return {
        checks,
        passed: checks.filter((c) => c.status === 'SUCCESS').length,
        failed: checks.filter((c) => c.status === 'FAILURE').length,
        summary: summary.trim() || `(no summary printed; exit ${ran.code})`,
      };
    };
    return { dir, fixtureUrl: `http://127.0.0.1:${port}/mcp`, runSuite, close };
  } catch (error) {
    await close();
    throw error;
  }
}
