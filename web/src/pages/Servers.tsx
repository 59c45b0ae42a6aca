import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import type { Server } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useNow } from '../components/useNow';
import { useFormatters } from '../prefs/usePreferences';
import { useTRPC } from '../trpc';
import { ConnectPanel } from './servers/ConnectPanel';
import { useArrivalState } from './servers/flash';
import { StatusBadge } from './servers/StatusBadge';
import { toolCountText } from './servers/words';
import './Servers.css';

/** The active tenant's MCP servers, for anyone with registry:read; adding one takes registry:write. */
export function Servers() {
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const servers = useQuery(trpc.registry.list.queryOptions());
  const tenantName = auth.tenantContext?.tenantName ?? 'this tenant';
  const canWrite = auth.can('registry:write');
  const { removed } = useArrivalState();

  return (
    <section className="servers-page">
      <div className="servers-head">
        <PageTitle title="Servers">The MCP servers that MREG puts behind one address for {tenantName}.</PageTitle>
        {canWrite && (
          <Link href="/servers/new" className="button primary">
            Add a server
          </Link>
        )}
      </div>

      <div role="status" className={removed ? 'banner banner-success' : undefined}>
        {removed && <p>Deleted {removed}: MREG has forgotten it.</p>}
      </div>

      {servers.isPending ? (
        <Skeleton lines={4} label="Loading the servers…" />
      ) : servers.isError ? (
        <LoadError what="The servers could not be loaded" error={servers.error} retry={() => servers.refetch()} />
      ) : servers.data.length === 0 ? (
        <EmptyState title={`No MCP servers in ${tenantName} yet.`}>
          <p>
            An MCP server offers tools, resources and prompts to AI assistants and agents. MREG keeps a list of them for {tenantName}, checks
            what each one offers and that it answers, and puts them all behind one address, so that people connect once and reach them all.
          </p>
          {canWrite ? (
            <p>
              Add one with <Link href="/servers/new">Add a server</Link>: a name, the server&apos;s URL (MCP over Streamable HTTP) and, if it
              asks for one, a token.
            </p>
          ) : (
            <p>A member or an admin of {tenantName} can add one.</p>
          )}
        </EmptyState>
      ) : (
        <ServerTable servers={servers.data} tenantName={tenantName} />
      )}

      <ConnectPanel tenantName={tenantName} />
    </section>
  );
}

function ServerTable({ servers, tenantName }: { servers: Server[]; tenantName: string }) {
  const format = useFormatters();
  const now = useNow();
  return (
    <table className="table servers-table" aria-label={`MCP servers of ${tenantName}`}>
      <thead>
        <tr>
          <th scope="col">Server</th>
          <th scope="col">Status</th>
          <th scope="col">Tools</th>
          <th scope="col">Last check</th>
        </tr>
      </thead>
      <tbody>
        {servers.map((server) => (
          <tr key={server.id}>
            <td data-label="Server">
              <div className="server-names">
                <Link href={`/servers/${server.id}`} className="server-name">
                  {server.name}
                </Link>
                <code className="muted">{server.slug}</code>
              </div>
            </td>
            <td data-label="Status">
              <StatusBadge status={server.status} />
              {server.lastError && <p className="server-error">Last error: {server.lastError}</p>}
            </td>
            <td data-label="Tools" className="servers-tools">
              {server.toolCount === null ? <span className="muted">Not discovered yet</span> : toolCountText(server)}
            </td>
            <td data-label="Last check">
              {server.lastCheckedAt ? (
                <time dateTime={server.lastCheckedAt} title={format.dateTime(server.lastCheckedAt)}>
                  {format.relative(server.lastCheckedAt, now)}
                </time>
              ) : (
                <span className="muted">Never</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
