import { GATEWAY_NAME_MAX_LENGTH, gatewayName, type GatewayOmission, type Server } from '@mreg/shared';
import { Link } from 'wouter';
import { CopyField } from '../../components/Copy';
import { count } from '../../components/useNow';
import { mcpUrl } from './connect';

/** What /mcp leaves out of this server, and why: names that the slug makes longer than MCP clients take. */
export function GatewayOmitted({ omitted, slug }: { omitted: GatewayOmission[]; slug: string }) {
  if (omitted.length === 0) return null;
  const tools = omitted.filter((item) => item.kind === 'tool').length;
  const prompts = omitted.length - tools;
  const what = [tools > 0 && count(tools, 'tool'), prompts > 0 && count(prompts, 'prompt')].filter(Boolean).join(' and ');
  return (
    <section className="banner banner-warning server-omitted" aria-labelledby="server-omitted-title">
      <h2 id="server-omitted-title">/mcp leaves out {what} of this server</h2>
      <ul>
        {omitted.map((item) => (
          <li key={`${item.kind}:${item.name}`}>
            {item.reason === 'needs_tasks' ? (
              <>
                The tool <code>{item.name}</code> runs only as an MCP task, which /mcp does not carry.
              </>
            ) : (
              <>
                The {item.kind} <code>{item.name}</code>: its /mcp name <code>{item.gatewayName}</code> is {item.gatewayName.length} characters, more
                than {GATEWAY_NAME_MAX_LENGTH}: rename the {item.kind} upstream or use a shorter slug.
              </>
            )}
          </li>
        ))}
      </ul>
      <p>
        {omitted.some((item) => item.reason === 'name_too_long') && (
          <>MCP clients refuse names longer than {GATEWAY_NAME_MAX_LENGTH} characters, and MREG does not cut them short (two could become one). </>
        )}
        This server&apos;s own address, <code>/mcp/{slug}</code>, still offers {omitted.length === 1 ? 'it under its own name' : 'them under their own names'}.
      </p>
    </section>
  );
}

/** An item's name on /mcp (`<slug>__<name>`), or that it is not there. */
export function GatewayName({ slug, name, tasksOnly = false }: { slug: string; name: string; tasksOnly?: boolean }) {
  const full = gatewayName(slug, name);
  if (tasksOnly) return <p className="gateway-name field-error">Not on /mcp: it runs only as an MCP task, which /mcp does not carry.</p>;
  if (full.length > GATEWAY_NAME_MAX_LENGTH) {
    return <p className="gateway-name field-error">Not on /mcp: its name there would be {full.length} characters, more than {GATEWAY_NAME_MAX_LENGTH}.</p>;
  }
  return (
    <p className="gateway-name muted">
      On /mcp as <code>{full}</code>
    </p>
  );
}

/** This server alone, passed through at /mcp/<slug>: its address to copy. */
export function ServerAddress({ server, tenantName }: { server: Server; tenantName: string }) {
  return (
    <section className="card server-address" aria-labelledby="server-address-title">
      <h2 id="server-address-title">Its own MCP address</h2>
      <CopyField label={`${server.name} alone`} value={mcpUrl(window.location.origin, server.slug)} what={`the MCP address of ${server.name}`} />
      <p className="muted">
        This server alone, passed through with its own tool names, for the same API keys and OAuth clients as <code>/mcp</code> (all of {tenantName}&apos;s servers); an OAuth client is approved for one address at a time.
        Put it in place of the <code>/mcp</code> address in <Link href="/servers#connect">any client&apos;s configuration</Link>.
      </p>
    </section>
  );
}
