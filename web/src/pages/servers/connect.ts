import { i18n } from '../../i18n';

/**
 * What the Connect panel offers to copy: MREG's MCP address and ready-to-paste configuration for
 * common MCP clients, each sending an API key as `Authorization: Bearer` (how /mcp takes them).
 * The configurations are code and stay as they are; where they go and the notes are in the app's language.
 */

const t = i18n.getFixedT(null, 'servers');

/** Stands where the person pastes a key of theirs; the panel says so and links to the API keys page. */
export const KEY_PLACEHOLDER = '<your-api-key>';
/** What the configurations name MREG in the client. */
export const CLIENT_SERVER_NAME = 'mreg';

/** The tenant's MCP address (all its servers), or one server's pass-through with `slug`. */
export const mcpUrl = (origin: string, slug?: string) => `${origin.replace(/\/+$/, '')}/mcp${slug ? `/${slug}` : ''}`;

export interface Snippet {
  id: 'claude-code' | 'claude-desktop' | 'vscode' | 'cursor' | 'inspector' | 'sdk';
  /** The client, as its makers name it (or in words, where it has no one name). */
  client: string;
  /** Where it goes: a file, or a terminal. */
  where: string;
  text: string;
  /** What to do with the key, when more than replacing the placeholder. */
  note?: string;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** mcp-remote refuses plain http to anything but localhost unless told. */
const plainHttp = (url: string) => new URL(url).protocol === 'http:';

/** Every client's configuration for `url`, with the placeholder where the key goes. */
/** The MCP Inspector the snippet names: a version with --transport and --header (older ones, which npx picks on Node 20, lack them). */
export const INSPECTOR_VERSION = '2.12.0';

export function connectSnippets(url: string): Snippet[] {
  const key = KEY_PLACEHOLDER;
  const header = `Authorization: Bearer ${key}`;
  return [
    {
      id: 'claude-code',
      client: 'Claude Code',
      where: t('connect.terminal'),
      text: `claude mcp add --transport http ${CLIENT_SERVER_NAME} ${url} --header "${header}"`,
    },
    {
      id: 'claude-desktop',
      client: 'Claude Desktop',
      where: t('connect.desktopWhere'),
      // Claude Desktop's file starts local servers only: mcp-remote (run by npx) bridges to /mcp.
      text: json({
        mcpServers: {
          [CLIENT_SERVER_NAME]: {
            command: 'npx',
            args: ['mcp-remote', url, '--header', 'Authorization:${MREG_AUTH}', ...(plainHttp(url) ? ['--allow-http'] : [])],
            env: { MREG_AUTH: `Bearer ${key}` },
          },
        },
      }),
      note: t('connect.desktopNote'),
    },
    {
      id: 'vscode',
      client: 'VS Code',
      where: '.vscode/mcp.json',
      text: json({
        servers: {
          [CLIENT_SERVER_NAME]: { type: 'http', url, headers: { Authorization: 'Bearer ${input:mreg-key}' } },
        },
        inputs: [{ type: 'promptString', id: 'mreg-key', description: 'MREG API key', password: true }],
      }),
      note: t('connect.vscodeNote'),
    },
    {
      id: 'cursor',
      client: 'Cursor',
      where: '~/.cursor/mcp.json',
      text: json({ mcpServers: { [CLIENT_SERVER_NAME]: { url, headers: { Authorization: `Bearer ${key}` } } } }),
    },
    {
      id: 'inspector',
      client: t('connect.inspectorClient'),
      where: t('connect.terminal'),
      text: `npx @modelcontextprotocol/inspector@${INSPECTOR_VERSION} --cli ${url} \\\n  --transport http --header "${header}" \\\n  --method tools/list`,
      note: t('connect.inspectorNote', { version: INSPECTOR_VERSION, toolName: '<slug>__<tool>' }),
    },
    {
      id: 'sdk',
      client: t('connect.sdkClient'),
      where: t('connect.sdkWhere', { placeholder: KEY_PLACEHOLDER }),
      text: [
        `import { Client } from '@modelcontextprotocol/sdk/client/index.js';`,
        `import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';`,
        ``,
        `const transport = new StreamableHTTPClientTransport(new URL('${url}'), {`,
        `  requestInit: { headers: { Authorization: \`Bearer \${process.env.MREG_API_KEY}\` } },`,
        `});`,
        `const client = new Client({ name: 'my-script', version: '1.0.0' });`,
        `await client.connect(transport);`,
        `const { tools } = await client.listTools();`,
        `console.log(tools.map((tool) => tool.name));`,
        `// A tool by its /mcp name, <slug>__<tool>:`,
        `// console.log(await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }));`,
        `await client.close();`,
      ].join('\n'),
      note: t('connect.sdkNote'),
    },
  ];
}
