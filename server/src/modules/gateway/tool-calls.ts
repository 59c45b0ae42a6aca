import type { McpOutcome } from '../../metrics/metrics';
import type { BearerCaller } from '../apikeys/caller';

/**
 * Every tool call through /mcp, as the audit log keeps it (modules/audit/audit.buffer.ts): who, in which tenant,
 * with which credential, which server and tool, how it ended and how long it took. Never the
 * arguments or the result.
 */
export interface ToolCallRecord {
  at: Date;
  userId: string;
  tenantId: string;
  credential: BearerCaller['credential'];
  /** Null when the call was refused before it reached a server (no such tool, no permission). */
  serverId: string | null;
  /** The server the name points to, as far as it does. */
  serverSlug: string | null;
  /** The upstream's name of the tool (the name as asked when it names no server). */
  tool: string;
  outcome: McpOutcome;
  /** Why MREG refused it (missing_permission, unknown_tool, ...), when it did. */
  reason?: string | null;
  durationMs: number;
  /**
   * Through /mcp/<slug>, where MREG passes the call on without reading the answer: `ok` means the
   * upstream answered, whether or not the tool said it failed. Left out: through /mcp.
   */
  via?: 'pass-through';
}

export interface ToolCallRecorder {
  record(call: ToolCallRecord): void;
}
