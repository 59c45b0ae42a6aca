/**
 * What MREG's MCP client costs against a real upstream: discovery of server-everything (in this
 * process, on 127.0.0.1, so both sides share the event loop) the first time and after, and a ping
 * (initialize + ping; the ping's own round trip and the whole).
 *
 *   pnpm exec tsx bench/upstream.ts [runs]       (default 20)
 */
import { discover, ping, UPSTREAM_POLICY_DEFAULTS } from '../server/src/modules/registry/upstream';
import { startEverything } from '../server/src/testing/mcp-upstreams';

const runs = Number(process.argv[2] ?? 20);
const policy = { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: true };

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const line = (what: string, values: number[]) =>
  console.log(`${what.padEnd(34)} p50 ${quantile(values, 0.5).toFixed(1).padStart(6)} ms   p95 ${quantile(values, 0.95).toFixed(1).padStart(6)} ms   (${values.length} runs)`);

const everything = await startEverything();
const target = { url: everything.url, auth: { kind: 'none' as const } };
try {
  const cold = performance.now();
  const first = await discover(target, policy);
  if (!first.ok) throw new Error(first.error);
  console.log(`discovery, cold (first in process)  ${(performance.now() - cold).toFixed(1)} ms: ${first.catalogue.tools.length} tools, ${first.catalogue.resources.length} resources, ${first.catalogue.resourceTemplates.length} templates, ${first.catalogue.prompts.length} prompts`);

  const discoveries: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    const result = await discover(target, policy);
    if (!result.ok) throw new Error(result.error);
    discoveries.push(performance.now() - started);
  }
  line('discovery, warm (incl. close)', discoveries);

  const pings: number[] = [];
  const pingTotals: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    const result = await ping(target, policy);
    if (!result.ok) throw new Error(result.error);
    pings.push(result.latencyMs);
    pingTotals.push(performance.now() - started);
  }
  line('ping round trip (open session)', pings);
  line('ping, whole (connect..close)', pingTotals);
} finally {
  await everything.close();
}
