import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The run's options (see run.ts) and fixed settings, read once.

export const quick = process.argv.includes('--quick');
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
export const only = process.argv.includes('--only') ? new Set((onlyArg ?? '').split(',').map(Number)) : undefined;
// 8 (tools/list) runs with 7.
export const SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 9];
if (only && (only.size === 0 || [...only].some((n) => !SCENARIOS.includes(n)))) {
  console.error(`--only takes scenario numbers ${SCENARIOS.join(', ')} separated by commas, such as --only 1,2; got ${JSON.stringify(onlyArg ?? '')}`);
  process.exit(2);
}
export const runs = (scenario: number) => !only || only.has(scenario);
const baselineArg = process.argv.includes('--baseline') ? (process.argv[process.argv.indexOf('--baseline') + 1] ?? '') : undefined;
export const baselineBundle = baselineArg === undefined ? undefined : join(resolve(baselineArg), 'server/dist/main.js');
if (baselineBundle && !existsSync(baselineBundle)) {
  console.error(`--baseline: ${baselineBundle} does not exist; give a checkout of MREG where pnpm build has run`);
  process.exit(2);
}
export const COMPARISON_ROUNDS = 3;
export const WARMUP_S = quick ? 1 : 5;
export const MEASURE_S = quick ? 3 : 15;
export const CONNECTIONS = 50;
export const LARGE_TABLE = quick ? 100_000 : 1_000_000;
export const SMALL_TABLE = 10_000;

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const databaseUrl = process.env.MREG_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const redisUrl = process.env.MREG_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const runId = `mreg_bench_${randomBytes(4).toString('hex')}`;
export const EMAIL = 'ada@contoso.test';
