/**
 * An MCP error as /mcp answers it: the SDK puts `code`, `message` and `data` of whatever a handler
 * throws into the JSON-RPC error. Not the SDK's McpError, whose message starts "MCP error <code>:",
 * which the client's own McpError would then repeat.
 */
export class GatewayError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}
