// Sums the vitest and Playwright JSON reports of both CI runs into one line:
// "N passed, N failed[, N skipped]". A report that is missing counts as a failure (its runner
// crashed or never ran), and so does each failed typecheck or lint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, failedChecks = '0'] = process.argv.slice(2);
let passed = 0;
let failed = Number(failedChecks);
let skipped = 0;

for (const run of ['embedded', 'real']) {
  const vitest = join(dir, `${run}-vitest.json`);
  if (existsSync(vitest)) {
    const r = JSON.parse(readFileSync(vitest, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    // A test file that failed to load has no tests to count.
    failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
    // Errors outside any test (a bad config, an unhandled rejection) fail the run.
    if (!r.success && r.numFailedTests === 0) failed += 1;
  } else {
    console.error(`missing ${vitest}`);
    failed += 1;
  }
  const e2e = join(dir, `${run}-e2e.json`);
  if (existsSync(e2e)) {
    const { stats, errors = [] } = JSON.parse(readFileSync(e2e, 'utf8'));
    passed += stats.expected + stats.flaky;
    failed += stats.unexpected + errors.length;
    skipped += stats.skipped;
  } else {
    console.error(`missing ${e2e}`);
    failed += 1;
  }
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
