import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { haproxyConfig } from './haproxy';

/** README.md's "Running several instances" shows the load balancer the topology tests run: the same text. */
describe('the HAProxy configuration in README.md', () => {
  it('is what the topology tests run, for the ports it shows', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('**The load balancer.**'));
    const shown = /```\n([\s\S]*?)```/.exec(section)?.[1];
    expect(shown).toBe(haproxyConfig({ port: 8080, backends: [{ name: 'mreg1', port: 8001 }, { name: 'mreg2', port: 8002 }] }));
  });
});
