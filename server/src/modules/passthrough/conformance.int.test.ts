import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../../testing/api-keys';
import { startBearerProxy } from '../../testing/bearer-proxy';
import { checksWith, startConformance, type Conformance, type SuiteResult } from '../../testing/conformance';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import type { LoopbackServer } from '../../testing/mcp-upstreams';
import { signInAs, trpcMutation } from '../../testing/sign-in';

/**
 * The MCP conformance suite's server scenarios (lifecycle, tools, progress, sampling, elicitation,
 * logging, resources and subscriptions, prompts, SSE streams, DNS rebinding) run twice: against its
 * fixture server directly, and through MREG's /mcp/<slug> with the fixture registered as that
 * server. The pass-through must pass exactly the checks the server passes on its own. The suite
 * sends no credentials: a loopback proxy in front of MREG adds the API key and changes nothing else.
 */

const SLUG = 'conformance';

let conformance: Conformance;
let app: TestApp;
let proxy: LoopbackServer;

beforeAll(async () => {
  conformance = await startConformance();
  app = await startTestApp({ env: { MREG_REGISTRY_ALLOW_PRIVATE: 'true' } });
  const { client } = await signInAs(app.url, 'ada@contoso.test');
  const saved = await trpcMutation(client, app.url, 'registry.create', { slug: SLUG, name: 'Conformance fixture', url: conformance.fixtureUrl });
  expect(saved.status).toBe(200);
  const key = await mintApiKey(app.url, 'ada@contoso.test');
  proxy = await startBearerProxy(app.url, key.secret);
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await app?.close();
  await conformance?.close();
}, 60_000);

/** The scenarios whose checks differ between two runs. */
function differing(a: SuiteResult, b: SuiteResult): string[] {
  const of = (r: SuiteResult) => new Map(r.checks.map((c) => [`${c.scenario}: ${c.id}`, c] as const));
  const [left, right] = [of(a), of(b)];
  const keys = new Set([...left.keys(), ...right.keys()]);
  return [...new Set([...keys].filter((k) => left.get(k)?.status !== right.get(k)?.status).map((k) => (left.get(k) ?? right.get(k))!.scenario))];
}

/** `result` with the checks of `scenario` replaced by those of `again`. */
function replaced(result: SuiteResult, scenario: string, again: SuiteResult): SuiteResult {
  const checks = [...result.checks.filter((c) => c.scenario !== scenario), ...again.checks.filter((c) => c.scenario === scenario)];
  return { ...result, checks, passed: checks.filter((c) => c.status === 'SUCCESS').length, failed: checks.filter((c) => c.status === 'FAILURE').length };
}

describe(`the MCP conformance suite through /mcp/<slug> (${databaseMode})`, () => {
  it('passes exactly the checks the server passes directly', async () => {
    let direct = await conformance.runSuite(conformance.fixtureUrl);
    let through = await conformance.runSuite(`${proxy.origin}/mcp/${SLUG}`);
    console.log(`Conformance directly against the fixture:\n${direct.summary}\n`);
    console.log(`Conformance through MREG /mcp/${SLUG}:\n${through.summary}\n`);

    // One scenario is timing-sensitive: the fixture's test_sampling sends its sampling request on
    // the standalone GET stream, which the client opens without waiting right before it calls the
    // tool; when the call reaches the fixture first, the request is dropped and the check fails
    // (seen directly too, on a loaded machine). A scenario whose checks differ between the two runs
    // is run again both ways, at most twice, and said so, before the two are compared.
    for (const scenario of differing(direct, through)) {
      for (let attempt = 1; attempt <= 2 && differing(direct, through).includes(scenario); attempt += 1) {
        const failures = [...direct.checks.map((c) => ({ ...c, run: 'directly' })), ...through.checks.map((c) => ({ ...c, run: 'through MREG' }))]
          .filter((c) => c.scenario === scenario && c.status !== 'SUCCESS')
          .map((c) => `${c.run}: ${c.id} ${c.status} ${c.errorMessage ?? ''}`);
        console.log(`Conformance: ${scenario} differs (${failures.join('; ')}); running it again both ways (${attempt} of 2)`);
        direct = replaced(direct, scenario, await conformance.runSuite(conformance.fixtureUrl, scenario));
        through = replaced(through, scenario, await conformance.runSuite(`${proxy.origin}/mcp/${SLUG}`, scenario));
      }
    }
    console.log(`Conformance checks: directly ${direct.passed} passed, ${direct.failed} failed; through MREG ${through.passed} passed, ${through.failed} failed`);

    expect(direct.passed).toBeGreaterThan(0);
    expect(checksWith(through, 'SUCCESS')).toEqual(checksWith(direct, 'SUCCESS'));
    expect(checksWith(through, 'FAILURE')).toEqual(checksWith(direct, 'FAILURE'));
    expect(through.checks.length).toBe(direct.checks.length);
    // DNS rebinding: MREG itself refused the foreign Host (the proxy passed it on unchanged).
    expect(checksWith(through, 'SUCCESS')).toEqual(expect.arrayContaining(['dns-rebinding-protection: localhost-host-rebinding-rejected']));
  }, 600_000);
});
