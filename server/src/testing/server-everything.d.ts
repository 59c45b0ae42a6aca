// @modelcontextprotocol/server-everything ships JavaScript only: the one entry the tests use.
declare module '@modelcontextprotocol/server-everything/dist/server/index.js' {
  import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
  export function createServer(): { server: McpServer; cleanup: () => void };
}
