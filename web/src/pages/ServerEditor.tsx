import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useTRPC } from '../trpc';
import { NoSuchServer, isNoSuchServer } from './servers/NoSuchServer';
import { ServerForm } from './servers/ServerForm';
import './Servers.css';

/** /servers/new: a new server of the active tenant (registry:write). */
export function AddServer() {
  return (
    <section className="server-editor">
      <PageTitle title="Add a server">
        An MCP server that MREG will reach and offer to this tenant. Test the connection before you add it, if you like.
      </PageTitle>
      <ServerForm server={null} />
    </section>
  );
}

/** /servers/:id/edit: changes to a server; its stored secret stays unless replaced. */
export function EditServer({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.registry.get.queryOptions({ id }));
  if (detail.isError && isNoSuchServer(detail.error)) return <NoSuchServer />;
  return (
    <section className="server-editor">
      <PageTitle title="Edit a server">
        {detail.data ? (
          <>
            Changes to <Link href={`/servers/${id}`}>{detail.data.server.name}</Link>. A new URL or credential has MREG discover it again.
          </>
        ) : (
          'Changes to a server.'
        )}
      </PageTitle>
      {detail.isPending ? (
        <Skeleton lines={6} label="Loading the server…" />
      ) : detail.isError ? (
        <LoadError what="The server could not be loaded" error={detail.error} retry={() => detail.refetch()} />
      ) : (
        <ServerForm server={detail.data.server} />
      )}
    </section>
  );
}
