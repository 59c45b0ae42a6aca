import type { Logger } from 'pino';
import type { McpOutcome } from '../../metrics/metrics';
import type { BearerCaller } from '../apikeys/caller';

/**
 * Every tool call through /mcp, as the audit log (issue 21) will keep it: who, in which tenant,
 * with which credential, which server and tool, how it ended and how long it took. Never the
 * arguments or the result.
 */
export interface ToolCallRecord {
  at: Date;
  userId: string;
  tenantId: string;
  credential: BearerCaller['credential'];
  serverId: string;
  serverSlug: string;
  tool: string;
  outcome: McpOutcome;
  durationMs: number;
}

export interface ToolCallRecorder {
  record(call: ToolCallRecord): void;
}

/** Until the audit log exists: one structured log line per call (`event: "tool_call"`). */
export function loggedToolCalls(logger: Logger): ToolCallRecorder {
  const log = logger.child({ component: 'gateway' });
  return {
    record(call) {
      log.info({ event: 'tool_call', ...call, at: call.at.toISOString() }, 'Tool call');
    },
  };
}
