import { describe, expect, it } from 'vitest';
import { connectSnippets, KEY_PLACEHOLDER, mcpUrl, type Snippet } from './connect';

const URL_ = 'https://mreg.example.com/mcp';
const byId = (snippets: Snippet[], id: Snippet['id']) => snippets.find((snippet) => snippet.id === id)!.text;

describe('mcpUrl', () => {
  it("is the origin's /mcp, or one server's /mcp/<slug>", () => {
    expect(mcpUrl('https://mreg.example.com')).toBe('https://mreg.example.com/mcp');
    expect(mcpUrl('http://127.0.0.1:8000/', 'github')).toBe('http://127.0.0.1:8000/mcp/github');
  });
});

describe('connectSnippets', () => {
  const snippets = connectSnippets(URL_);

  it('offers each client once, the placeholder where the key goes', () => {
    expect(snippets.map((snippet) => snippet.id)).toEqual(['claude-code', 'claude-desktop', 'vscode', 'cursor', 'inspector', 'sdk']);
    for (const snippet of snippets) expect(snippet.text).toContain(URL_);
    for (const id of ['claude-code', 'claude-desktop', 'cursor', 'inspector'] as const) expect(byId(snippets, id)).toContain(KEY_PLACEHOLDER);
  });

  it('gives Claude Code and the Inspector their command lines, the header quoted as one argument', () => {
    expect(byId(snippets, 'claude-code')).toBe(`claude mcp add --transport http mreg ${URL_} --header "Authorization: Bearer <your-api-key>"`);
    expect(byId(snippets, 'inspector')).toBe(
      `npx @modelcontextprotocol/inspector@2.12.0 --cli ${URL_} \\\n  --transport http --header "Authorization: Bearer <your-api-key>" \\\n  --method tools/list`,
    );
  });

  it("gives VS Code a prompt for the key, kept in its secret storage, and Cursor the header in its file", () => {
    expect(JSON.parse(byId(snippets, 'vscode'))).toEqual({
      servers: { mreg: { type: 'http', url: URL_, headers: { Authorization: 'Bearer ${input:mreg-key}' } } },
      inputs: [{ type: 'promptString', id: 'mreg-key', description: 'MREG API key', password: true }],
    });
    expect(JSON.parse(byId(snippets, 'cursor'))).toEqual({ mcpServers: { mreg: { url: URL_, headers: { Authorization: 'Bearer <your-api-key>' } } } });
  });

  it('bridges Claude Desktop through mcp-remote, allowing plain http only for an http address', () => {
    const desktop = JSON.parse(byId(snippets, 'claude-desktop')) as { mcpServers: { mreg: { args: string[]; env: Record<string, string> } } };
    expect(desktop.mcpServers.mreg.args).toEqual(['mcp-remote', URL_, '--header', 'Authorization:${MREG_AUTH}']);
    expect(desktop.mcpServers.mreg.env).toEqual({ MREG_AUTH: 'Bearer <your-api-key>' });
    const local = JSON.parse(byId(connectSnippets('http://127.0.0.1:8000/mcp'), 'claude-desktop')) as typeof desktop;
    expect(local.mcpServers.mreg.args.at(-1)).toBe('--allow-http');
  });

  it('has the script read the key from the environment, never from its text', () => {
    const script = byId(snippets, 'sdk');
    expect(script).toContain(`new StreamableHTTPClientTransport(new URL('${URL_}')`);
    expect(script).toContain('Authorization: `Bearer ${process.env.MREG_API_KEY}`');
    expect(script).not.toContain(KEY_PLACEHOLDER);
  });
});
