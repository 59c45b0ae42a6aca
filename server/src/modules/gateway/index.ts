import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Cache } from '../../cache/cache';
import type { Settings } from '../../config';
import { localCallers, type LocalCallers } from '../apikeys/apikeys.service';
import type { RegistryRuntime } from '../registry/registry.service';
import { AgentPool } from '../passthrough/passthrough.agents';
import { cancellations, type Cancellations } from './cancellation';
import { auditBuffer, type AuditBuffer } from '../audit/audit.buffer';
import type { Metrics } from '../../metrics/metrics';
import { gatewayUpstreams, type Upstreams } from './upstreams';
import { gatewayViews, type GatewayViews } from './view';

/** What /mcp runs on in this process: the tenants' views, the upstream connections, the calls in flight. */
export interface Gateway {
  views: GatewayViews;
  upstreams: Upstreams;
  cancellations: Cancellations;
  /** Tool calls, on their way to the audit log. */
  toolCalls: AuditBuffer;
  /** The API keys this process verified lately (apikeys.service.ts), for /mcp and /mcp/<slug>. */
  callers: LocalCallers;
  /** /mcp/<slug>'s connections to upstreams. */
  passThroughAgents: AgentPool;
  close(): Promise<void>;
}

export function startGateway({
  em,
  cache,
  logger,
  settings,
  registry,
  metrics,
}: {
  em: EntityManager;
  cache: Cache;
  logger: Logger;
  settings: Settings;
  registry: RegistryRuntime;
  metrics?: Metrics;
}): Gateway {
  const views = gatewayViews(em);
  const upstreams = gatewayUpstreams({ em, registry, callTimeoutMs: settings.gateway.callTimeoutMs });
  const inFlight = cancellations(cache, logger);
  const callers = localCallers(cache, logger);
  const passThroughAgents = new AgentPool(registry.policy);
  const toolCalls = auditBuffer({ em, logger, metrics, enabled: settings.audit.toolCalls });
  return {
    views,
    upstreams,
    cancellations: inFlight,
    toolCalls,
    callers,
    passThroughAgents,
    async close() {
      try {
        await Promise.all([upstreams.close(), inFlight.close(), callers.close(), passThroughAgents.destroy()]);
      } finally {
        // Last, and whatever failed before it: calls that were still running have now been recorded.
        await toolCalls.close();
      }
    },
  };
}
