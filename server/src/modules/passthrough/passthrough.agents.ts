import type { Agent } from 'undici';
import { guardedAgent } from '../registry/upstream/fetch';
import type { UpstreamPolicy } from '../registry/upstream';

/** Connections to one upstream from this process; further requests wait for one. */
const CONNECTIONS_PER_SERVER = 64;
/** Agents kept at once; the least recently used one beyond it is closed (its requests in flight finish). */
const MAX_AGENTS = 256;

/**
 * One SSRF-guarded undici Agent per registered server in this process, so that requests through
 * /mcp/<slug> reuse their connections; a server saved again (its `version` changed: a new URL, say)
 * gets a new Agent and the old one is closed once its requests end. Timeouts are per request.
 */
export class AgentPool {
  private readonly agents = new Map<string, { version: string; agent: Agent }>();

  constructor(private readonly policy: UpstreamPolicy) {}

  get(serverId: string, version: string): Agent {
    const kept = this.agents.get(serverId);
    this.agents.delete(serverId);
    if (kept && kept.version === version) {
      this.agents.set(serverId, kept);
      return kept.agent;
    }
    if (kept) void kept.agent.close().catch(() => undefined);
    const agent = guardedAgent(this.policy, { headersTimeoutMs: this.policy.requestTimeoutMs, bodyTimeoutMs: this.policy.requestTimeoutMs, connections: CONNECTIONS_PER_SERVER });
    this.agents.set(serverId, { version, agent });
    while (this.agents.size > MAX_AGENTS) {
      const [oldest, entry] = this.agents.entries().next().value!;
      this.agents.delete(oldest);
      void entry.agent.close().catch(() => undefined);
    }
    return agent;
  }

  /** Ends every connection (at shutdown). */
  async destroy(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(all.map(({ agent }) => agent.destroy().catch(() => undefined)));
  }
}
