import { describe, expect, it } from 'vitest';
import { gatewayName, gatewayOmissions, gatewayUri, splitGatewayName, splitGatewayUri } from './gateway';

describe('gateway names', () => {
  it('splits at the first __, which no slug holds', () => {
    expect(splitGatewayName(gatewayName('git-hub', 'create__issue'))).toEqual({ slug: 'git-hub', name: 'create__issue' });
    expect(splitGatewayName('echo')).toBeNull();
    expect(splitGatewayName('__echo')).toBeNull();
  });

  it('keeps a resource URI whole behind mreg://<slug>/', () => {
    const uri = 'file:///etc/motd?x=1#top';
    expect(gatewayUri('files', uri)).toBe('mreg://files/file:///etc/motd?x=1#top');
    expect(splitGatewayUri(gatewayUri('files', uri))).toEqual({ slug: 'files', uri });
    expect(splitGatewayUri('file:///etc/motd')).toBeNull();
    expect(splitGatewayUri('mreg:///x')).toBeNull();
  });

  it('reports what /mcp leaves out: names over 64 characters once prefixed, and task-only tools', () => {
    const long = 'x'.repeat(60);
    const omitted = gatewayOmissions('slug', {
      tools: [{ name: 'ok' }, { name: long }, { name: 'research', execution: { taskSupport: 'required' } } as { name: string }, { name: 'maybe', execution: { taskSupport: 'optional' } } as { name: string }],
      prompts: [{ name: long }],
    });
    expect(omitted).toEqual([
      { kind: 'tool', name: long, gatewayName: `slug__${long}`, reason: 'name_too_long' },
      { kind: 'tool', name: 'research', gatewayName: 'slug__research', reason: 'needs_tasks' },
      { kind: 'prompt', name: long, gatewayName: `slug__${long}`, reason: 'name_too_long' },
    ]);
    // 64 exactly is served.
    expect(gatewayOmissions('abcd', { tools: [{ name: 'y'.repeat(58) }], prompts: [] })).toEqual([]);
  });
});
